/**
 * The one palette (present/table-model.ts says what each tone means): bad is
 * red, warn is yellow, ok is green where a view wants to say so, anything
 * else the terminal's own colour. With NO_COLOR Ink's colours are off as a
 * whole, so the tones also show as words or marks where they matter.
 */
import type {Tone} from '../present/table-model.js';

export type ToneProps = {color?: string; dimColor?: boolean};

export function toneProps(tone: Tone): ToneProps {
	if (tone === 'bad') return {color: 'red'};
	if (tone === 'warn') return {color: 'yellow'};
	if (tone === 'ok') return {color: 'green'};
	return {};
}
