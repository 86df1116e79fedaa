// `laneway lane create --fork orders=registry.example/orders:pr-42 --fork payments:worker=... --fork-env orders:FEATURE_X=on`
// as the API's `forks`: repeated flags for one Deployment merge into one fork, one entry per container.
import { UsageError } from './errors.js';

interface ForkContainerFlag { name?: string; image?: string; env?: Record<string, string> }
interface ForkFlag { workload: string; containers: ForkContainerFlag[] }

/** "orders" or "orders:worker" -> [deployment, container?]. */
function target(text: string, flag: string, whole: string): [string, string | undefined] {
  const [deployment, container, extra] = text.split(':');
  if (!deployment || container === '' || extra !== undefined) throw new UsageError(`${flag} takes DEPLOYMENT[:CONTAINER]..., got ${JSON.stringify(whole)}`);
  return [deployment, container];
}

function containerOf(forks: Map<string, ForkFlag>, deployment: string, container: string | undefined): ForkContainerFlag {
  const fork = forks.get(deployment) ?? { workload: `Deployment/${deployment}`, containers: [] };
  forks.set(deployment, fork);
  let entry = fork.containers.find((c) => c.name === container);
  if (!entry) fork.containers.push((entry = container === undefined ? {} : { name: container }));
  return entry;
}

/** The forks the flags ask for, in the order first named; undefined when there are none. */
export function forksFromFlags(images: unknown, envs: unknown): ForkFlag[] | undefined {
  const forks = new Map<string, ForkFlag>();
  for (const item of (images as string[] | undefined) ?? []) {
    const eq = item.indexOf('=');
    if (eq <= 0 || eq === item.length - 1) throw new UsageError(`--fork takes DEPLOYMENT[:CONTAINER]=IMAGE, got ${JSON.stringify(item)}`);
    const [deployment, container] = target(item.slice(0, eq), '--fork', item);
    containerOf(forks, deployment, container).image = item.slice(eq + 1);
  }
  for (const item of (envs as string[] | undefined) ?? []) {
    const eq = item.indexOf('=');
    const left = eq > 0 ? item.slice(0, eq) : '';
    const colon = left.lastIndexOf(':');
    if (colon <= 0 || colon === left.length - 1) throw new UsageError(`--fork-env takes DEPLOYMENT[:CONTAINER]:NAME=VALUE, got ${JSON.stringify(item)}`);
    const [deployment, container] = target(left.slice(0, colon), '--fork-env', item);
    const entry = containerOf(forks, deployment, container);
    entry.env = { ...entry.env, [left.slice(colon + 1)]: item.slice(eq + 1) };
  }
  return forks.size > 0 ? [...forks.values()] : undefined;
}
