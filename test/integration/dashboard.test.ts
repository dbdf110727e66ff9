import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { parse } from 'yaml';
import { useGateway } from '../helpers/fixtures.js';
import { send } from '../helpers/http.js';
import { closedPort } from '../helpers/upstream.js';

/** The fields of a Grafana dashboard these checks read. */
interface Panel {
  readonly type: string;
  readonly title: string;
  readonly datasource?: { readonly uid?: string };
  readonly targets?: ReadonlyArray<{ readonly expr?: string }>;
  /** The panels of a collapsed row. */
  readonly panels?: readonly Panel[];
}
interface Dashboard {
  readonly panels: readonly Panel[];
  readonly templating: {
    readonly list: ReadonlyArray<{ readonly type: string; readonly name: string; readonly query?: unknown }>;
  };
}

const DASHBOARD = new URL('../../deploy/grafana/gateway.json', import.meta.url);
/**
 * Metrics the dashboard is built around: the extractor must find each, so the comparison cannot pass on an empty set.
 */
const EXPECTED = [
  'gateway_http_requests_total',
  'gateway_http_request_duration_seconds_bucket',
  'gateway_upstream_errors_total',
  'gateway_rate_limited_total',
  'gateway_rate_limiter_store',
  'process_resident_memory_bytes',
  'nodejs_eventloop_lag_p99_seconds',
];
/** PromQL words that read like names but are not metrics (a function or aggregation is recognised by its `(`). */
const KEYWORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'offset',
  'and',
  'or',
  'unless',
  'inf',
  'nan',
]);
/** Series a histogram exports under its family name (Prometheus exposition format). */
const HISTOGRAM_SUFFIXES = ['_bucket', '_sum', '_count'];

/**
 * Metric names in a PromQL expression: strings, label matchers, range selectors and grouping
 * clauses are removed, then every remaining name not called as a function is a metric.
 */
function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  // Not after a digit or dot (the `m` of `5m`, the `e3` of `1e3`), not before `(` (a function).
  const names = [...bare.matchAll(/(?<![a-zA-Z0-9_:.])[a-zA-Z_:][a-zA-Z0-9_:]*(?!\s*\(|[a-zA-Z0-9_:])/g)].map(
    (match) => match[0],
  );
  return names.filter((name) => !KEYWORDS.has(name.toLowerCase()));
}

/** Every panel, the panels of collapsed rows included. */
function allPanels(panels: readonly Panel[]): Panel[] {
  return panels.flatMap((panel) => [panel, ...allPanels(panel.panels ?? [])]);
}

/** Every metric name the dashboard queries: panel expressions and the metric of each `label_values` variable. */
function dashboardMetrics(dashboard: Dashboard): Map<string, string> {
  const used = new Map<string, string>();
  for (const panel of allPanels(dashboard.panels)) {
    for (const target of panel.targets ?? [])
      for (const name of metricNames(target.expr ?? '')) used.set(name, panel.title);
  }
  for (const variable of dashboard.templating.list) {
    const query = JSON.stringify(variable.query ?? '');
    for (const [, name] of query.matchAll(/label_values\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)/g))
      used.set(name!, `variable $${variable.name}`);
  }
  return used;
}

/** The exposition's families (`# TYPE name type`) and the names of its sample lines. */
function exported(text: string): { families: Map<string, string>; samples: Set<string> } {
  const families = new Map<string, string>();
  const samples = new Set<string>();
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type !== null) families.set(type[1]!, type[2]!);
    else if (line !== '' && !line.startsWith('#')) samples.add(/^[^{\s]+/.exec(line)![0]);
  }
  return { families, samples };
}

/** The family a referenced name belongs to: a histogram's `_bucket`, `_sum` and `_count` map to the histogram. */
function familyOf(name: string, families: Map<string, string>): string {
  const suffix = HISTOGRAM_SUFFIXES.find((candidate) => name.endsWith(candidate));
  const base = suffix === undefined ? name : name.slice(0, -suffix.length);
  return suffix !== undefined && families.get(base) === 'histogram' ? base : name;
}

/** Referenced names the scrape does not export as a family with at least one sample. */
function missing(names: Iterable<string>, text: string): string[] {
  const { families, samples } = exported(text);
  return [...names].filter((name) => !families.has(familyOf(name, families)) || !samples.has(name));
}

describe('Grafana dashboard deploy/grafana/gateway.json', () => {
  const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as Dashboard;
  const used = dashboardMetrics(dashboard);
  const fixture = useGateway({
    env: async () => ({ INVENTORY_SERVICE_URL: `http://127.0.0.1:${await closedPort()}`, RATE_LIMIT_MAX: '3' }),
  });
  let scrape: string;

  before(async () => {
    // Served, failed upstream (refused: SERVICE_UNAVAILABLE), unmatched, then limited: every series the panels chart
    // exists.
    const paths = ['/api/v1/products/1', '/api/v1/inventory/sku-1', '/api/v1/nothing', '/api/v1/products/2', '/health'];
    const statuses = [];
    for (const path of paths) statuses.push((await send({ port: fixture.gateway.port, path })).status);
    expect(statuses).to.deep.equal([200, 502, 404, 429, 200]);
    scrape = await fixture.gateway.gateway.metrics.registry.metrics();
  });

  it('when the extractor reads a query, then it keeps metric names and drops functions, labels, ranges and grouping', () => {
    const expr =
      'histogram_quantile(0.99, sum by (le, route) (rate(a_seconds_bucket{status=~"5..", job="x"}[5m]))) / ignoring(code) sum without (instance) (b_total offset 5m) * 1e3 and on(route) c';
    expect(metricNames(expr)).to.deep.equal(['a_seconds_bucket', 'b_total', 'c']);
  });

  it('when the dashboard is read, then the extractor finds every metric it is built around', () => {
    expect([...used.keys()]).to.include.members(EXPECTED);
  });

  it('when a query names a metric the gateway does not export, then the comparison reports it', () => {
    expect(
      missing(
        ['gateway_never_exported_total', 'gateway_http_request_duration_seconds_bucket', 'gateway_http_requests_total'],
        scrape,
      ),
    ).to.deep.equal(['gateway_never_exported_total']);
  });

  it('when every panel and variable query is compared with a scrape of a running gateway, then each metric it names is exported with samples', () => {
    const absent = missing(used.keys(), scrape).map((name) => `${name} (${used.get(name)})`);
    expect(absent).to.deep.equal([]);
  });

  it('when Grafana loads the dashboard, then every panel queries the templated Prometheus data source and charts something', () => {
    const source = dashboard.templating.list.find((variable) => variable.type === 'datasource');
    expect(source).to.deep.include({ name: 'datasource', query: 'prometheus' });
    const charts = allPanels(dashboard.panels).filter((panel) => panel.type !== 'row');
    expect(charts).not.to.be.empty;
    for (const panel of charts) {
      expect(panel.datasource?.uid, panel.title).to.equal('${datasource}');
      expect(panel.targets?.map((target) => target.expr).filter(Boolean), panel.title).not.to.be.empty;
    }
  });
});

describe('Grafana exemplar links (deploy/grafana)', () => {
  const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as Dashboard;
  const provisioning = parse(
    readFileSync(new URL('../../deploy/grafana/datasources.yaml', import.meta.url), 'utf8'),
  ) as {
    datasources: Array<{
      type: string;
      uid: string;
      jsonData?: { exemplarTraceIdDestinations?: Array<{ name: string; datasourceUid: string }> };
    }>;
  };

  it('when a latency panel is drawn, then it asks for exemplars', () => {
    const latency = allPanels(dashboard.panels).filter((panel) =>
      (panel.targets ?? []).some((target) => target.expr?.includes('gateway_http_request_duration_seconds_bucket')),
    );
    expect(latency).to.have.length.greaterThan(0);
    for (const panel of latency)
      expect(
        panel.targets!.every((target) => (target as { exemplar?: boolean }).exemplar === true),
        panel.title,
      ).to.equal(true);
  });

  it('when Grafana shows an exemplar, then its trace_id (the label the gateway writes) links to the provisioned Jaeger data source', () => {
    const prometheus = provisioning.datasources.find((source) => source.type === 'prometheus');
    const jaeger = provisioning.datasources.find((source) => source.type === 'jaeger');
    expect(prometheus?.jsonData?.exemplarTraceIdDestinations).to.deep.equal([
      { name: 'trace_id', datasourceUid: jaeger?.uid },
    ]);
  });
});
