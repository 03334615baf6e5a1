/** The views Tab cycles through, in order; a job's detail and a search belong to the jobs tab. */
import type {Route} from '../ui-context.js';

export const TABS = ['queues', 'jobs', 'workers', 'schedules', 'services', 'logs', 'events'] as const;
export type Tab = (typeof TABS)[number];

export const tabOf = (route: Route): Tab => (route.view === 'job' || route.view === 'search' ? 'jobs' : route.view === 'metrics' ? 'queues' : route.view);
