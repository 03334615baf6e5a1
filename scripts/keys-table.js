#!/usr/bin/env node
// Prints the console's key table (markdown) from the built keymap: paste it into the README.
import {keyTableMarkdown} from '../dist/keymap/doc.js';

process.stdout.write(`${keyTableMarkdown()}\n`);
