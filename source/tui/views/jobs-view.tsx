// TEMPORARY (being written)
import {Text} from 'ink';
export function JobsView(_props: {route: unknown}) {
	void 0;
	return <Text>jobs-view</Text>;
}
