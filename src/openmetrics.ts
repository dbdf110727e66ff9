import { Registry, type OpenMetricsContentType } from 'prom-client';

/** The OpenMetrics 1.0 text format (https://github.com/prometheus/OpenMetrics/blob/main/specification/OpenMetrics.md). */
export const OPENMETRICS_CONTENT_TYPE = Registry.OPENMETRICS_CONTENT_TYPE;

/** True when a scrape's `Accept` header lists OpenMetrics, as Prometheus's does (with the highest preference). */
export function wantsOpenMetrics(accept: string | undefined): boolean {
  return accept !== undefined && /application\/openmetrics-text(?![^,]*;\s*q=0(?:\.0*)?\s*(?:,|$))/i.test(accept);
}

/**
 * `registry`'s metrics in the OpenMetrics format, exemplars included; `registry` keeps serving the
 * Prometheus text format. prom-client writes one format per registry, and its OpenMetrics
 * rendering renames each counter in place, dropping `_total` for good (lib/registry.js,
 * `metrics()` and `standardizeCounterName`): a later Prometheus scrape would lose the suffix. So
 * each scrape renders a registry of its own over views of the same metrics, each view with a
 * `name` of its own for that renaming to change.
 */
export async function renderOpenMetrics(registry: Registry): Promise<string> {
  const open = new Registry<OpenMetricsContentType>();
  open.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
  for (const { name } of registry.getMetricsAsArray()) {
    const metric = registry.getSingleMetric(name);
    if (metric === undefined) continue;
    const view = Object.create(metric, { name: { value: name, writable: true } }) as typeof metric;
    open.registerMetric(view);
  }
  return open.metrics();
}
