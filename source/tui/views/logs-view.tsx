// TEMPORARY (being written)
import {Text} from 'ink';
export function LogsView(_props: {route: unknown}) {
	void 0;
	return <Text>logs-view</Text>;
}
