// TEMPORARY (being written)
import {Text} from 'ink';
export function ServicesView() {
	void 0;
	return <Text>services-view</Text>;
}
