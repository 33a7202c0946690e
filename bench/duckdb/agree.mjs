// agree.mjs checks that DuckDB's aggregates (aggregate.mjs output) equal
// guardsim's timeline: counts exactly, means to a relative 1e-9.
// Usage: node agree.mjs TIMELINE.json DUCKDB.json
import { readFileSync } from 'node:fs';

const [tlPath, duckPath] = process.argv.slice(2);
const tl = JSON.parse(readFileSync(tlPath, 'utf8')).timeline.filter((c) => c.decision !== 'start');
const dk = JSON.parse(readFileSync(duckPath, 'utf8')).checks;
let bad = 0, compared = 0, worst = 0;
if (tl.length !== dk.length) {
  console.error(`guardsim has ${tl.length} checks, DuckDB ${dk.length}`);
  process.exit(1);
}
tl.forEach((c, i) => {
  c.metrics.forEach((m, j) => {
    for (const arm of ['original', 'new']) {
      const g = m[arm], d = dk[i].metrics[j][arm];
      compared++;
      const rel = Math.abs(g.mean - d.mean) / Math.max(Math.abs(g.mean), 1e-300);
      if (g.n > 0) worst = Math.max(worst, rel);
      if (g.n !== d.n || (g.n > 0 && rel > 1e-9)) {
        if (bad++ < 10) console.error(`check ${c.time} ${m.key} ${arm}: guardsim n=${g.n} mean=${g.mean}, DuckDB n=${d.n} mean=${d.mean}`);
      }
    }
  });
});
if (bad > 0) {
  console.error(`${bad} of ${compared} (check, metric, arm) aggregates disagree`);
  process.exit(1);
}
console.log(`agreement: ${compared} (check, metric, arm) aggregates over ${tl.length} checks; counts equal, largest relative difference of means ${worst.toExponential(2)} (tolerance 1e-9)`);
