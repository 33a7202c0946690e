// aggregate.mjs computes, with DuckDB, the attribution aggregates a
// guardsim replay reports at each check: per metric and arm, the number of
// contexts in the sample and the mean of their per-context values.
//
// Attribution as in docs/ARCHITECTURE.md: a context's arm is the variation
// of its first analysed exposure (original/control or new/treatment, of the
// policy's context kind and flag); its metric events count only after that
// exposure (in file order). A binary metric's value is 1 if the context has
// an event, else 0, over every exposed context; a numeric mean metric's value
// is the mean of its events, over the contexts with at least one. Check k
// (at start + k·interval) sees the events before its time.
//
// Usage: node aggregate.mjs EVENTS.parquet TIMELINE.json [OUT.json]
// TIMELINE.json is guardsim's timeline of the same replay: it supplies the
// policy (flag, context kind, metrics, check interval), the start and the
// number of checks; the output has the same shape as its metric checks.
import { DuckDBInstance } from '@duckdb/node-api';
import { readFileSync, writeFileSync } from 'node:fs';

const [events, timelinePath, outPath] = process.argv.slice(2);
if (!events || !timelinePath) {
  console.error('usage: node aggregate.mjs EVENTS.parquet TIMELINE.json [OUT.json]');
  process.exit(2);
}
const tl = JSON.parse(readFileSync(timelinePath, 'utf8'));
const pol = tl.policy;
const startNs = BigInt(Date.parse(tl.start)) * 1000000n;
// Durations are seconds in timeline.json (nanosecond integers in older
// files: accept both); enums are names (integers in older files).
const durNs = (d) => (Number.isInteger(d) && d > 1e8 ? BigInt(d) : BigInt(Math.round(d * 1e9)));
const interval = durNs(pol.check_interval);
const isBinary = (m) => m.kind === 0 || m.kind === 'binary';
const isMean = (m) => m.aggregation === 0 || m.aggregation === 'mean';
const checks = tl.timeline.filter((c) => c.decision !== 'start');
checks.forEach((c, i) => {
  const t = BigInt(Date.parse(c.time)) * 1000000n;
  if (t !== startNs + BigInt(i + 1) * interval) {
    throw new Error(`check ${i + 1} at ${c.time} is not start + ${i + 1}·interval: this benchmark needs regular checks`);
  }
});
const K = checks.length;
const endNs = startNs + BigInt(K) * interval;
const lit = (s) => `'${String(s).replaceAll("'", "''")}'`;
for (const m of pol.metrics) {
  if (!isBinary(m) && !((m.kind === 1 || m.kind === 'numeric') && isMean(m))) throw new Error(`metric ${m.key}: only binary and mean metrics are supported`);
}
const kind = pol.context_kind || 'user';

const db = await DuckDBInstance.create(':memory:');
const con = await db.connect();
const src = `read_parquet(${lit(events)}, file_row_number = true)`;
await con.run(`
CREATE TEMP TABLE ev AS
SELECT file_row_number AS rn, epoch_ns(time) AS t, kind = 'exposure' AS expo,
       context_key AS key,
       CASE WHEN variation IN ('original', 'control') THEN 0
            WHEN variation IN ('new', 'treatment') THEN 1 END AS arm,
       coalesce(nullif(context_kind, ''), 'user') AS ck, flag_key, metric_key,
       coalesce(value, 1) AS value
FROM ${src}
WHERE epoch_ns(time) < ${endNs}`);
await con.run(`
CREATE TEMP TABLE first AS
SELECT key, arg_min(arm, rn) AS arm, min(rn) AS frn,
       (min(t) - ${startNs}) // ${interval} + 1 AS bin
FROM ev
WHERE expo AND arm IS NOT NULL AND ck = ${lit(kind)}
  AND (flag_key IS NULL OR flag_key = ${lit(pol.flag_key)})
GROUP BY key`);
await con.run(`
CREATE TEMP TABLE attributed AS
SELECT e.key, f.arm, e.metric_key, e.value, (e.t - ${startNs}) // ${interval} + 1 AS bin
FROM ev e JOIN first f ON e.key = f.key AND e.rn > f.frn
WHERE NOT e.expo AND e.metric_key IN (${pol.metrics.map((m) => lit(m.key)).join(', ')})`);

const bins = `(SELECT a.arm, b.bin FROM (VALUES (0), (1)) a(arm), range(1, ${K + 1}) b(bin))`;
async function series(sql) {
  // sql yields (arm, bin, dn, ds): changes of the count and of the sum of
  // per-context values in that bin; returns cumulative [arm][k-1] = {n, s}.
  const r = await con.runAndReadAll(`
    SELECT g.arm, g.bin,
           sum(coalesce(d.dn, 0)) OVER w AS n, sum(coalesce(d.ds, 0)) OVER w AS s
    FROM ${bins} g LEFT JOIN (${sql}) d ON d.arm = g.arm AND d.bin = g.bin
    WINDOW w AS (PARTITION BY g.arm ORDER BY g.bin)
    ORDER BY g.arm, g.bin`);
  const out = [[], []];
  for (const [arm, bin, n, s] of r.getRows()) out[Number(arm)][Number(bin) - 1] = { n: Number(n), s: Number(s) };
  return out;
}
const result = [];
for (const m of pol.metrics) {
  let cum;
  if (isBinary(m)) {
    // binary: every exposed context (0), plus 1 at its first event's bin
    cum = await series(`
      SELECT arm, bin, sum(dn) AS dn, sum(ds) AS ds FROM (
        SELECT arm, bin, 1 AS dn, 0 AS ds FROM first
        UNION ALL
        SELECT arm, min(bin) AS bin, 0 AS dn, 1 AS ds FROM attributed
        WHERE metric_key = ${lit(m.key)} GROUP BY key, arm)
      GROUP BY arm, bin`);
  } else {
    // mean: the per-context mean after each bin with events; its changes
    // telescope into the sum of per-context means at every check
    cum = await series(`
      SELECT arm, bin, sum(first) AS dn, sum(mean - coalesce(prev, 0)) AS ds FROM (
        SELECT arm, bin, mean, lag(mean) OVER (PARTITION BY key ORDER BY bin) AS prev,
               CASE WHEN lag(mean) OVER (PARTITION BY key ORDER BY bin) IS NULL THEN 1 ELSE 0 END AS first
        FROM (SELECT key, arm, bin,
                     sum(s) OVER (PARTITION BY key ORDER BY bin) / sum(c) OVER (PARTITION BY key ORDER BY bin) AS mean
              FROM (SELECT key, arm, bin, sum(value) AS s, count(*) AS c FROM attributed
                    WHERE metric_key = ${lit(m.key)} GROUP BY key, arm, bin)))
      GROUP BY arm, bin`);
  }
  result.push({ key: m.key, cum });
}
const out = checks.map((c, i) => ({
  time: c.time,
  metrics: result.map(({ key, cum }) => {
    const arm = (a) => ({ n: cum[a][i].n, mean: cum[a][i].n > 0 ? cum[a][i].s / cum[a][i].n : 0 });
    return { key, original: arm(0), new: arm(1) };
  }),
}));
const json = JSON.stringify({ events, checks: out }, null, 1);
if (outPath) writeFileSync(outPath, json);
else process.stdout.write(json + '\n');
