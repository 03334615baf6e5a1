// TEMPORARY (being written)
import {Text} from 'ink';
export function WorkersView() {
	void 0;
	return <Text>workers-view</Text>;
}
