/** The views, by route: the app mounts the one on top of its stack. */
import type {Route} from '../ui-context.js';
import {EventsView} from './events-view.js';
import {JobView} from './job-view.js';
import {JobsView} from './jobs-view.js';
import {LogsView} from './logs-view.js';
import {MetricsView} from './metrics-view.js';
import {QueuesView} from './queues-view.js';
import {SearchView} from './search-view.js';
import {SchedulesView} from './schedules-view.js';
import {ServicesView} from './services-view.js';
import {WorkersView} from './workers-view.js';

export {TABS, tabOf, type Tab} from './tabs.js';

export function View({route}: {route: Route}) {
	switch (route.view) {
		case 'queues':
			return <QueuesView />;
		case 'jobs':
			return <JobsView route={route} />;
		case 'job':
			return <JobView route={route} />;
		case 'metrics':
			return <MetricsView route={route} />;
		case 'search':
			return <SearchView route={route} />;
		case 'workers':
			return <WorkersView />;
		case 'schedules':
			return <SchedulesView />;
		case 'services':
			return <ServicesView />;
		case 'logs':
			return <LogsView route={route} />;
		case 'events':
			return <EventsView />;
	}
}
