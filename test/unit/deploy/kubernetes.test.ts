import { readdirSync, readFileSync } from 'node:fs';
import { expect } from 'chai';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import {
  HorizontalPodAutoscaler,
  type IHorizontalPodAutoscaler,
} from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { PodDisruptionBudget, type IPodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap, type IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import type { IContainer } from 'kubernetes-models/v1/Container';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service, type IService } from 'kubernetes-models/v1/Service';
import { parse, parseAllDocuments } from 'yaml';
import { ENV_SCHEMA, loadConfig } from '../../../src/config/index.js';
import { GatewayFileError, type GatewayFileText } from '../../../src/config/gateway-file.js';
import { SERVICE_VARIABLES } from '../../../src/config/routing.js';
import { readRepoFile } from '../../helpers/dockerfile.js';

const DIRECTORY = new URL('../../../deploy/kubernetes/', import.meta.url);
const KUSTOMIZATION = 'kustomization.yaml';
/** A key of 48 random-looking bytes: what the documented `openssl rand` command gives, for loadConfig. */
const STRONG_SECRET = Buffer.alloc(48, 7).toString('base64');

/** Any Kubernetes object as parsed from YAML, before its kind is known. */
interface KubeObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata?: { readonly name?: string };
  readonly [field: string]: unknown;
}

/**
 * The official schema (kubernetes-models, generated from Kubernetes' OpenAPI spec) for each
 * apiVersion/kind the manifests may hold; any other kind fails the test. Like the OpenAPI spec,
 * these schemas let unknown fields through: the checks below pin each field that matters by path.
 */
const VALIDATORS: Readonly<Record<string, (object: KubeObject) => void>> = {
  'v1/ConfigMap': (object) => new ConfigMap(object).validate(),
  'v1/Secret': (object) => new Secret(object).validate(),
  'v1/Service': (object) => new Service(object).validate(),
  'apps/v1/Deployment': (object) => new Deployment(object).validate(),
  'autoscaling/v2/HorizontalPodAutoscaler': (object) => new HorizontalPodAutoscaler(object).validate(),
  'policy/v1/PodDisruptionBudget': (object) => new PodDisruptionBudget(object).validate(),
};

/** The manifest files of deploy/kubernetes, the kustomization excepted. */
function manifestFiles(): string[] {
  return readdirSync(DIRECTORY)
    .filter((file) => /\.ya?ml$/.test(file) && file !== KUSTOMIZATION)
    .sort();
}

/** Every object of every manifest file, with the file it came from. */
function readObjects(): Array<{ file: string; object: KubeObject }> {
  return manifestFiles().flatMap((file) =>
    parseAllDocuments(readFileSync(new URL(file, DIRECTORY), 'utf8')).map((document) => {
      expect(document.errors, file).to.deep.equal([]);
      return { file, object: document.toJS() as KubeObject };
    }),
  );
}

/** `value` in bytes for a Kubernetes memory quantity such as `512Mi` or `268435456`. */
function bytesOf(quantity: string): number {
  const units: Record<string, number> = { '': 1, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, k: 1e3, M: 1e6, G: 1e9 };
  const match = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|k|M|G)?$/.exec(quantity);
  expect(match, `memory quantity ${quantity}`).not.to.equal(null);
  return Number(match![1]) * units[match![2] ?? '']!;
}

describe('deploy/kubernetes', () => {
  const objects = readObjects();
  const only = <T>(apiVersion: string, kind: string, name?: string): T => {
    const found = objects.filter(
      ({ object }) =>
        object.apiVersion === apiVersion &&
        object.kind === kind &&
        (name === undefined || object.metadata?.name === name),
    );
    expect(found, `one ${kind}`).to.have.length(1);
    return found[0]!.object as unknown as T;
  };
  const deployment = only<IDeployment>('apps/v1', 'Deployment');
  const configMaps = objects
    .filter(({ object }) => object.kind === 'ConfigMap')
    .map(({ object }) => object as unknown as IConfigMap);
  const configMapNamed = (name: string | undefined): IConfigMap | undefined =>
    configMaps.find((candidate) => candidate.metadata?.name === name);
  const service = only<IService>('v1', 'Service', 'api-gateway');
  const hpa = only<IHorizontalPodAutoscaler>('autoscaling/v2', 'HorizontalPodAutoscaler');
  const pdb = only<IPodDisruptionBudget>('policy/v1', 'PodDisruptionBudget');
  const pod = deployment.spec!.template;
  const containers = pod.spec!.containers;
  const container: IContainer = containers[0]!;
  /** The ConfigMap the container takes its environment from. */
  const configMap = configMapNamed(container.envFrom?.[0]?.configMapRef?.name)!;
  const env = configMap.data ?? {};
  /**
   * The file a pod finds at `path`: the ConfigMap key mounted there by a volume of the pod, as the
   * kubelet projects it (one file per key in the mounted directory); an unmounted path, no file.
   */
  function mountedFile(path: string): GatewayFileText {
    const mount = container.volumeMounts?.find((candidate) => path.startsWith(`${candidate.mountPath}/`));
    const volume = pod.spec!.volumes?.find((candidate) => candidate.name === mount?.name);
    const text = configMapNamed(volume?.configMap?.name)?.data?.[path.slice(`${mount?.mountPath}/`.length)];
    if (text === undefined) throw new GatewayFileError([`GATEWAY_CONFIG: ${path} is not a file any volume mounts`]);
    return { path, text };
  }
  /**
   * The gateway's configuration as the pods load it (the Secret supplies JWT_SECRET, the mounted ConfigMap the gateway
   * file).
   */
  const config = loadConfig({ ...env, JWT_SECRET: STRONG_SECRET }, mountedFile);
  const graceMs = config.shutdownGraceMs;
  /** The container port a probe or Service names, by name or number. */
  const containerPort = (port: number | string | undefined): number | undefined =>
    typeof port === 'number' ? port : container.ports?.find((candidate) => candidate.name === port)?.containerPort;

  it('when every manifest is parsed, then each object validates against the Kubernetes schema of its apiVersion and kind', () => {
    expect(objects.length).to.be.greaterThan(0);
    for (const { file, object } of objects) {
      const validate = VALIDATORS[`${object.apiVersion}/${object.kind}`];
      expect(validate, `${file}: ${object.apiVersion} ${object.kind} is a kind these checks know`).not.to.equal(
        undefined,
      );
      expect(() => validate!(object), `${file}: ${object.kind} ${object.metadata?.name}`).not.to.throw();
    }
  });

  it('when a field has the wrong type, then the schema validation refuses it (the check above can fail)', () => {
    const broken = { ...deployment, spec: { ...deployment.spec!, replicas: 'three' } } as unknown as KubeObject;
    expect(() => VALIDATORS['apps/v1/Deployment']!(broken)).to.throw(/replicas/);
  });

  it('when the gateway resolves each *_SERVICE_URL, then it names a headless Service of these manifests on the same port', () => {
    const services = objects
      .map(({ object }) => object as unknown as IService)
      .filter((object) => (object as { kind?: string }).kind === 'Service');
    for (const name of ['AUTH', 'USER', 'PRODUCT', 'INVENTORY']) {
      const url = new URL(configMap.data![`${name}_SERVICE_URL`]!);
      const headless = services.find((candidate) => candidate.metadata?.name === url.hostname);
      expect(headless, `${name}_SERVICE_URL host ${url.hostname}`).to.not.equal(undefined);
      expect(headless!.spec!.clusterIP, `${url.hostname} is headless`).to.equal('None');
      expect(headless!.spec!.ports!.map((port) => port.port)).to.include(Number(url.port));
    }
  });

  it('when kubectl apply -k reads the kustomization, then it lists every manifest file and nothing else', () => {
    const kustomization = parse(readFileSync(new URL(KUSTOMIZATION, DIRECTORY), 'utf8')) as {
      kind?: string;
      resources?: string[];
    };
    expect(kustomization.kind).to.equal('Kustomization');
    expect([...(kustomization.resources ?? [])].sort()).to.deep.equal(manifestFiles());
  });

  it('when the Deployment runs, then it asks for three replicas of one container and its selector matches its pods', () => {
    expect(deployment.spec!.replicas).to.equal(3);
    expect(containers).to.have.length(1);
    expect(pod.metadata?.labels).to.include(deployment.spec!.selector.matchLabels);
  });

  it("when the kubelet probes a pod, then readiness asks /health/ready and liveness /health, on the gateway's PORT", () => {
    expect(container.readinessProbe?.httpGet?.path).to.equal('/health/ready');
    expect(container.livenessProbe?.httpGet?.path).to.equal('/health');
    expect(containerPort(container.readinessProbe?.httpGet?.port)).to.equal(config.port);
    expect(containerPort(container.livenessProbe?.httpGet?.port)).to.equal(config.port);
  });

  it('when a pod is deleted, then preStop pauses first and the grace period outlasts the pause plus SHUTDOWN_GRACE_MS', () => {
    const preStop = container.lifecycle?.preStop;
    const command = preStop?.exec?.command ?? [];
    const pauseSeconds = preStop?.sleep?.seconds ?? (command[0] === 'sleep' ? Number(command[1]) : 0);
    expect(pauseSeconds, 'preStop pause in seconds').to.be.at.least(1);
    expect(graceMs).to.equal(Number(env.SHUTDOWN_GRACE_MS));
    expect(pod.spec!.terminationGracePeriodSeconds! * 1000).to.be.greaterThan(pauseSeconds * 1000 + graceMs);
  });

  it('when the container starts, then it runs as a numeric non-root user, read-only, unprivileged, without capabilities, under RuntimeDefault seccomp', () => {
    const podContext = pod.spec!.securityContext ?? {};
    const context = container.securityContext ?? {};
    expect(context.runAsNonRoot ?? podContext.runAsNonRoot).to.equal(true);
    expect(context.runAsUser ?? podContext.runAsUser)
      .to.be.a('number')
      .that.is.greaterThan(0);
    expect(context.readOnlyRootFilesystem).to.equal(true);
    expect(context.allowPrivilegeEscalation).to.equal(false);
    expect(context.capabilities?.drop).to.include('ALL');
    expect(context.capabilities?.add ?? []).to.deep.equal([]);
    expect((context.seccompProfile ?? podContext.seccompProfile)?.type).to.equal('RuntimeDefault');
  });

  it("when the container starts, then it runs the image's command, Node's heap flags included: no command or args replace it", () => {
    expect(container.command).to.equal(undefined);
    expect(container.args).to.equal(undefined);
    expect(readRepoFile('Dockerfile')).to.include('--max-semi-space-size=');
  });

  it('when the pod is scheduled, then it requests CPU and memory and its memory limit is above every RSS measured for it', () => {
    const { requests, limits } = container.resources ?? {};
    expect(requests?.cpu).to.be.a('string');
    const limit = bytesOf(String(limits?.memory));
    expect(limit).to.be.at.least(bytesOf(String(requests?.memory)));
    const measured = [...readFileSync(new URL('deployment.yaml', DIRECTORY), 'utf8').matchAll(/(\d+) MiB/g)].map(
      (match) => Number(match[1]) * 2 ** 20,
    );
    expect(measured, 'measured RSS in MiB, in deployment.yaml').not.to.be.empty;
    expect(limit).to.be.greaterThan(Math.max(...measured));
  });

  it('when JWT_SECRET is set, then it comes from a Secret by name, and no Secret with a value is committed', () => {
    const jwt = container.env?.filter((variable) => variable.name === 'JWT_SECRET') ?? [];
    expect(jwt).to.have.length(1);
    expect(jwt[0]!.value).to.equal(undefined);
    expect(jwt[0]!.valueFrom?.secretKeyRef).to.deep.include({ key: 'JWT_SECRET' });
    expect(jwt[0]!.valueFrom?.secretKeyRef?.name).to.be.a('string').that.is.not.empty;
    expect(env).not.to.have.property('JWT_SECRET');
    for (const { file, object } of objects.filter(({ object }) => object.kind === 'Secret')) {
      expect(object.data ?? {}, file).to.deep.equal({});
      expect(object.stringData ?? {}, file).to.deep.equal({});
    }
  });

  it('when the pods load the ConfigMap, then it is a valid production configuration that trusts the ingress in front and shares limits through Redis', () => {
    expect(container.envFrom?.map((source) => source.configMapRef?.name)).to.deep.equal([configMap.metadata?.name]);
    expect(env.TRUST_PROXY).to.equal('true');
    expect(config.trustProxy).to.equal(true);
    expect(env.NODE_ENV).to.equal('production');
    expect(config.auth.required).to.equal(true);
    const redis = config.rateLimit.redis;
    expect(redis?.kind === 'url' ? new URL(redis.url).protocol : redis?.kind).to.equal('redis:');
  });

  it('when the pods start, then GATEWAY_CONFIG names the gateway file mounted from its ConfigMap, a copy of config/gateway.yaml, with the in-cluster URLs from the environment', () => {
    expect(env.GATEWAY_CONFIG).to.match(/^\//);
    const mounted = mountedFile(env.GATEWAY_CONFIG!);
    expect(mounted.text).to.equal(readFileSync(new URL('../../../config/gateway.yaml', import.meta.url), 'utf8'));
    expect(config.gatewayFile.path).to.equal(env.GATEWAY_CONFIG);
    expect(config.services.map((service) => service.urls[0])).to.deep.equal(
      config.services.map((service) => env[`${service.env}_SERVICE_URL`]),
    );
    const mount = container.volumeMounts!.find((candidate) =>
      env.GATEWAY_CONFIG!.startsWith(`${candidate.mountPath}/`),
    )!;
    // A subPath mount is never updated when the ConfigMap changes; the directory mount is.
    expect([mount.subPath, mount.readOnly]).to.deep.equal([undefined, true]);
  });

  it('when a pod mounts no gateway file at GATEWAY_CONFIG, then the check above refuses it (it can fail)', () => {
    expect(() =>
      loadConfig({ ...env, JWT_SECRET: STRONG_SECRET, GATEWAY_CONFIG: '/etc/elsewhere/gateway.yaml' }, mountedFile),
    ).to.throw(/not a file any volume mounts/);
  });

  it('when the ConfigMap names a variable, then it is one the gateway reads (ENV_SCHEMA or a per-service variable)', () => {
    const known = new Set<string>([
      ...Object.keys(ENV_SCHEMA),
      ...config.services.flatMap((service) => SERVICE_VARIABLES.map((suffix) => `${service.env}_${suffix}`)),
    ]);
    const names = Object.keys(env);
    expect(names).not.to.be.empty;
    expect(names.filter((name) => !known.has(name))).to.deep.equal([]);
  });

  it('when the pods export traces, then they go over OTLP/HTTP to an in-cluster collector, sampled parent-based, tagged with their pod', () => {
    const url = new URL(config.tracing.exporter!.url);
    expect(url.hostname).to.match(/\.svc\.cluster\.local$/);
    expect([url.port, url.pathname]).to.deep.equal(['4318', '/v1/traces']);
    expect(config.tracing.sampler.name).to.match(/^parentbased_/);
    expect(config.tracing.serviceName).to.equal('api-gateway');
    const variables = new Map((container.env ?? []).map((variable) => [variable.name, variable]));
    const resource = variables.get('OTEL_RESOURCE_ATTRIBUTES')?.value ?? '';
    // Kubernetes expands $(NAME) only for variables defined before it in the list.
    const names = [...(container.env ?? [])].map((variable) => variable.name);
    for (const [, name] of resource.matchAll(/\$\((\w+)\)/g)) {
      expect(variables.get(name!)?.valueFrom?.fieldRef, name).not.to.equal(undefined);
      expect(names.indexOf(name!), name).to.be.lessThan(names.indexOf('OTEL_RESOURCE_ATTRIBUTES'));
    }
    expect(resource).to.include('k8s.pod.name=$(POD_NAME)');
    const pod = loadConfig(
      {
        ...env,
        JWT_SECRET: STRONG_SECRET,
        OTEL_RESOURCE_ATTRIBUTES: resource
          .replaceAll('$(POD_NAME)', 'api-gateway-abc')
          .replaceAll('$(POD_NAMESPACE)', 'shop'),
      },
      mountedFile,
    );
    expect(pod.tracing.resourceAttributes).to.include({
      'k8s.pod.name': 'api-gateway-abc',
      'k8s.namespace.name': 'shop',
    });
  });

  it('when Prometheus discovers the pods, then the scrape annotations name METRICS_PORT and /metrics, and the container exposes that port', () => {
    expect(config.metricsPort).to.be.greaterThan(0);
    expect(pod.metadata?.annotations).to.include({
      'prometheus.io/scrape': 'true',
      'prometheus.io/port': String(config.metricsPort),
      'prometheus.io/path': '/metrics',
    });
    expect(container.ports?.map((port) => port.containerPort)).to.include(config.metricsPort);
  });

  it('when the Service routes traffic, then it selects the gateway pods and targets PORT, never the metrics port', () => {
    expect(pod.metadata?.labels).to.include(service.spec!.selector);
    const targets = service.spec!.ports!.map((port) => containerPort(port.targetPort ?? port.port));
    expect(targets).to.deep.equal([config.port]);
  });

  it('when load changes, then the HPA scales the Deployment on CPU from its three replicas up', () => {
    expect(hpa.spec!.scaleTargetRef).to.deep.include({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: deployment.metadata!.name,
    });
    expect(hpa.spec!.minReplicas).to.equal(deployment.spec!.replicas);
    expect(hpa.spec!.maxReplicas).to.be.greaterThan(hpa.spec!.minReplicas!);
    const cpu = hpa.spec!.metrics?.find((metric) => metric.type === 'Resource' && metric.resource?.name === 'cpu');
    expect(cpu?.resource?.target.type).to.equal('Utilization');
    expect(cpu?.resource?.target.averageUtilization).to.be.within(1, 100);
  });

  it('when nodes are drained, then the PDB covers the gateway pods and keeps all but one of the minimum serving', () => {
    expect(pod.metadata?.labels).to.include(pdb.spec!.selector?.matchLabels);
    const minimum = hpa.spec!.minReplicas!;
    const available =
      pdb.spec!.minAvailable !== undefined
        ? Number(pdb.spec!.minAvailable)
        : minimum - Number(pdb.spec!.maxUnavailable);
    expect(available).to.be.within(1, minimum - 1);
  });
});
