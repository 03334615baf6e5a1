// TEMPORARY (being written)
import {Text} from 'ink';
export function SchedulesView() {
	void 0;
	return <Text>schedules-view</Text>;
}
