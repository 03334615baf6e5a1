// TEMPORARY (being written)
import {Text} from 'ink';
export function JobView(_props: {route: unknown}) {
	void 0;
	return <Text>job-view</Text>;
}
