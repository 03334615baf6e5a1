/**
 * The top line:
 *
 *   saccos-queue  READ-ONLY  redis://10.0.0.5:6379  queues │ jobs │ workers │ …
 */
import {Text} from 'ink';
import {sanitizeLine} from '../../shared/sanitize.js';

export function Header({where, readOnly, tabs, current}: {where: string; readOnly: boolean; tabs: readonly string[]; current: string}) {
	return (
		<Text wrap="truncate-end">
			<Text bold color="cyan">saccos-queue </Text>
			{/* First, so a narrow terminal cuts the address, never the badge. */}
			{readOnly ? <Text inverse color="yellow"> READ-ONLY </Text> : null}
			<Text>{`${readOnly ? ' ' : ''}${sanitizeLine(where)}  `}</Text>
			{tabs.map((tab, index) => (
				<Text key={tab} {...(tab === current ? {bold: true, underline: true} : {dimColor: true})}>
					{`${index > 0 ? ' │ ' : ''}${tab}`}
				</Text>
			))}
		</Text>
	);
}
