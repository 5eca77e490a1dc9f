// Run SQL files through DuckDB (@duckdb/node-api) and print the last
// statement's result as CSV on standard output. Usage:
//   node query.mjs FILE.sql... [NAME=VALUE]...
// Every ${NAME} in the SQL is replaced by VALUE (file paths). Statements
// are separated by ';' at the end of a line; the last one's rows are
// printed. DuckDB uses all cores by default (DUCKDB_THREADS overrides).
import { readFileSync } from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';

const args = process.argv.slice(2);
const files = args.filter(a => !a.includes('='));
const defs = args.filter(a => a.includes('='));
if (files.length === 0) {
    console.error('usage: node query.mjs FILE.sql... [NAME=VALUE]...');
    process.exit(64);
}
const file = files.join(' ');
let sql = files.map(f => readFileSync(f, 'utf8')).join('\n');
for (const d of defs) {
    const i = d.indexOf('=');
    sql = sql.split('${' + d.slice(0, i) + '}').join(d.slice(i + 1));
}
const missing = sql.match(/\$\{[A-Za-z_]+\}/);
if (missing) {
    console.error(`query.mjs: ${file}: no value for ${missing[0]}`);
    process.exit(64);
}
const opts = {};
if (process.env.DUCKDB_THREADS) opts.threads = process.env.DUCKDB_THREADS;
const db = await DuckDBInstance.create(':memory:', opts);
const con = await db.connect();
const stmts = sql.split(/;\s*\n/).map(s => s.replace(/^\s*--.*$/gm, '').trim())
    .filter(s => s.length > 0);
let reader;
for (const s of stmts) reader = await con.runAndReadAll(s);
const cols = reader.columnNames();
const out = [cols.join(',')];
for (const row of reader.getRowsJS())
    out.push(row.map(v => (v === null || v === undefined) ? '' : String(v)).join(','));
process.stdout.write(out.join('\n') + '\n');
