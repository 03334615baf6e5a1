/**
 * The top line:
 *
 *   saccos-queue redis://10.0.0.5:6379  READ-ONLY  queues │ jobs │ workers │ …
 */
import {Box, Text} from 'ink';
import {sanitizeLine} from '../../data/sanitize.js';

export function Header({where, readOnly, tabs, current}: {where: string; readOnly: boolean; tabs: readonly string[]; current: string}) {
	return (
		<Box>
			<Text bold color="cyan">saccos-queue </Text>
			<Text>{sanitizeLine(where)} </Text>
			{readOnly ? <Text inverse color="yellow"> READ-ONLY </Text> : null}
			<Text> </Text>
			{tabs.map((tab, index) => (
				<Text key={tab} {...(tab === current ? {bold: true, underline: true} : {dimColor: true})}>
					{`${index > 0 ? ' │ ' : ''}${tab}`}
				</Text>
			))}
		</Box>
	);
}
