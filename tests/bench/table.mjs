// Print a markdown table from hyperfine JSON exports and the GNU time
// peak-RSS files that compare.sh collects. Usage:
//   node table.mjs --ids IDS.tsv --rss DIR [--bytes INPUT=N]... HYPERFINE.json...
// IDS.tsv: id, command name (as given to hyperfine -n), input (ex or
// tagged), number of measured processes per run. DIR/ID holds one %M line
// (KB) per measured process, in exit order, runs one after another.
// The ratio column divides by the mean of the 'gzip -dc' command of the
// same JSON file.
import { readFileSync, existsSync } from 'node:fs';

const args = process.argv.slice(2);
const jsons = [];
const bytes = {};
let idsFile, rssDir;
for (let i = 0; i < args.length; i++) {
    if (args[i] === '--ids') idsFile = args[++i];
    else if (args[i] === '--rss') rssDir = args[++i];
    else if (args[i] === '--bytes') {
        const [k, v] = args[++i].split('=');
        bytes[k] = Number(v);
    } else jsons.push(args[i]);
}
const ids = new Map();
for (const line of readFileSync(idsFile, 'utf8').split('\n')) {
    if (!line) continue;
    const [id, name, input, stages] = line.split('\t');
    ids.set(name, { id, input, stages: Number(stages) });
}

// Peak RSS of one run = sum over its processes; report the largest run.
function rss(info) {
    const f = `${rssDir}/${info.id}`;
    if (!existsSync(f)) return null;
    const kb = readFileSync(f, 'utf8').split('\n').filter(l => /^\d+$/.test(l)).map(Number);
    let best = 0;
    for (let i = 0; i + info.stages <= kb.length; i += info.stages) {
        const s = kb.slice(i, i + info.stages).reduce((a, b) => a + b, 0);
        best = Math.max(best, s);
    }
    return best / 1024;
}

const f2 = x => x.toFixed(2);
console.log('| command | wall s (mean ± sd) | × gzip -dc | CPU s (user+sys) | input MB/s | peak RSS MiB |');
console.log('|---|---:|---:|---:|---:|---:|');
for (const j of jsons) {
    if (!existsSync(j)) continue;
    const results = JSON.parse(readFileSync(j, 'utf8')).results;
    const anchor = results.find(r => r.command.trim() === 'gzip -dc');
    for (const r of results) {
        const info = ids.get(r.command) || { input: 'ex', stages: 1, id: '?' };
        const sd = r.stddev == null ? '' : ` ± ${f2(r.stddev)}`;
        const ratio = anchor ? f2(r.mean / anchor.mean) : '';
        const mbs = bytes[info.input] ? (bytes[info.input] / 1e6 / r.mean).toFixed(0) : '';
        const m = rss(info);
        const runs = r.times ? r.times.length : '';
        const procs = info.stages > 1 ? ` (${info.stages} processes)` : '';
        console.log(`| ${r.command.trim().replaceAll("|", "\\|")}${procs} | ${f2(r.mean)}${sd} (${runs} runs) | ${ratio} | ${f2(r.user + r.system)} | ${mbs} | ${m == null ? '' : m.toFixed(1)} |`);
    }
}
