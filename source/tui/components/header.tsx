/**
 * The top line: who and where, then the tabs.
 *
 *   saccos-queue  READ-ONLY  FROZEN  production · prefix bull · redis://ops@10.0.0.5:6379   queues │ jobs │ …
 *
 * The badges come first, so a narrow terminal cuts the address, never them.
 */
import {Text} from 'ink';
import {sanitizeLine} from '../../common/sanitize.js';

export type HeaderProps = {where: string; environment?: string; prefix: string; readOnly: boolean; frozen: boolean; tabs: readonly string[]; current: string};

export function Header({where, environment, prefix, readOnly, frozen, tabs, current}: HeaderProps) {
	const place = [environment, `prefix ${prefix}`, where].filter(Boolean).join(' · ');
	return (
		<Text wrap="truncate-end">
			<Text bold color="cyan">saccos-queue </Text>
			{readOnly ? <Text inverse color="yellow"> READ-ONLY </Text> : null}
			{frozen ? <Text inverse color="yellow">{`${readOnly ? ' ' : ''} FROZEN (Z) `}</Text> : null}
			<Text {...(environment ? {bold: true} : {})}>{` ${sanitizeLine(place)}  `}</Text>
			{tabs.map((tab, index) => (
				<Text key={tab} {...(tab === current ? {bold: true, underline: true} : {dimColor: true})}>
					{`${index > 0 ? ' │ ' : ''}${tab}`}
				</Text>
			))}
		</Text>
	);
}
