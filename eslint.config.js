// ESLint: the layer rule (docs/ARCHITECTURE.md, Layers) for relative imports
// and packages alike, React's rules of hooks, and TypeScript's recommended
// rules. Run by `npm test` (through `npm run lint`). A disable comment that is
// not needed is itself an error, so each one that remains is there for a reason.
import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
import tseslint from 'typescript-eslint';

/** Folders of source/ and what each must not import (a regex over the import specifier). */
const layers = [
	{
		folders: ['tui', 'present', 'keymap'],
		banned: [
			{regex: '^(bullmq|ioredis|node:child_process|child_process)(/|$)', message: 'views, presenters and the key table never reach Redis, BullMQ or child processes'},
			{regex: '(^|/)(data|process|runtime|commands)/', message: 'views, presenters and the key table never import the data, process, runtime or command layers: use store/ for data and common/ for pure helpers'},
		],
	},
	{
		folders: ['data', 'commands', 'runtime', 'process', 'output', 'store', 'common'],
		banned: [{regex: '^(ink|react|ink-testing-library)(/|$)', message: 'only the console (tui/) loads Ink and React'}],
	},
	{
		folders: ['data', 'process', 'runtime', 'store', 'output', 'common'],
		banned: [{regex: '(^|/)(tui|commands)/', message: 'lower layers never import the console or the commands'}],
	},
	{
		folders: ['common'],
		banned: [{regex: '(^|/)(data|process|runtime|store|present|output|keymap)/|^(bullmq|ioredis)', message: 'common/ holds pure modules that import nothing of the project but common/'}],
	},
	{
		folders: ['output'],
		banned: [{regex: '(^|/)(data|process|runtime|store)/', message: 'output/ formats plain values; it imports common/ only'}],
	},
];

export default tseslint.config(
	{ignores: ['dist/**', 'node_modules/**', '.bench/**', 'coverage/**', 'var/**']},
	js.configs.recommended,
	...tseslint.configs.recommended,
	{
		linterOptions: {reportUnusedDisableDirectives: 'error'},
		languageOptions: {
			ecmaVersion: 2023,
			sourceType: 'module',
			globals: {process: 'readonly', console: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', setImmediate: 'readonly', clearImmediate: 'readonly', URL: 'readonly', AbortController: 'readonly', AbortSignal: 'readonly', performance: 'readonly', structuredClone: 'readonly', queueMicrotask: 'readonly', TextDecoder: 'readonly', TextEncoder: 'readonly', NodeJS: 'readonly', fetch: 'readonly'},
		},
		rules: {
			'@typescript-eslint/no-unused-vars': ['error', {argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none'}],
			// A handler installed early may read a variable that is assigned once, later (SIGHUP before Redis is up).
			'prefer-const': ['error', {ignoreReadBeforeAssign: true}],
		},
	},
	{
		// Tests match control characters on purpose: that is what the sanitizer's tests are about.
		files: ['test/**'],
		rules: {'no-control-regex': 'off'},
	},
	{
		files: ['**/*.tsx', 'source/tui/**/*.ts', 'test/**/*.tsx'],
		plugins: {'react-hooks': reactHooks},
		rules: {
			'react-hooks/rules-of-hooks': 'error',
			'react-hooks/exhaustive-deps': 'error',
		},
	},
	// One entry per folder with all of its bans: for one rule, a later config object replaces an earlier one.
	...[...new Set(layers.flatMap(layer => layer.folders))].map(folder => ({
		files: [`source/${folder}/**/*.ts`, `source/${folder}/**/*.tsx`],
		banned: layers.filter(layer => layer.folders.includes(folder)).flatMap(layer => layer.banned),
	})).map(({files, banned}) => ({
		files,
		// Type-only imports are erased at build time: a view may name the shape of a snapshot
		// (data/types.ts is the JSON contract) without depending on the code that reads Redis.
		rules: {'@typescript-eslint/no-restricted-imports': ['error', {patterns: banned.map(pattern => ({...pattern, allowTypeImports: true}))}]},
	})),
);
