import { run } from './backstop.js';

process.exitCode = run(process.argv.slice(2), process.env, (l) => console.log(l), (l) => console.error(l));
