/**
 * Before any test: compile the command (bin/build.js), so that the tests which run `raftsim` as a
 * child process (bin/raftsim.js runs build/cli.js) run the code as it is now, never a stale build.
 */
export default async function setup(): Promise<void> {
  // @ts-expect-error -- bin/build.js is plain JavaScript, outside the type check
  const { buildCli } = (await import('./bin/build.js')) as { buildCli: () => Promise<void> };
  await buildCli();
}
