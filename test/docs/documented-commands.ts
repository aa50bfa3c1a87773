/**
 * Every shell command the README and docs/ show, and where it runs: a test file or CI script (`by`) and the
 * text in that file that runs it (`runs`). test/docs/commands.test.ts fails when the docs show a command that
 * is not listed here, when a listed command left the docs, or when `by` no longer contains `runs`.
 * (docs/fork.md's `run` blocks are run by test/docs/fork-walkthrough.test.ts and are not listed.)
 *
 * `same` says how a run differs from the documented command when it does: a free port instead of a fixed one,
 * the build step that `npm run …` adds, smaller parameters of the same program.
 */
export interface Exercised {
  by: string;
  runs: string;
  same?: string;
}

const TOKEN_STEPS: Exercised = {
  by: "test/compose/compose.test.ts",
  runs: "documentedTokenSteps(",
  same: "the whole block, in a copy of the project with its own .env, on a free port instead of 8081",
};

export const DOCUMENTED_COMMANDS: Record<string, Exercised> = {
  'echo "BROADCASTER_TOKEN=$(openssl rand -hex 24)" >> .env': TOKEN_STEPS,
  "docker compose up -d --wait broadcaster": TOKEN_STEPS,
  "source .env": TOKEN_STEPS,
  [[
    "curl -i -X POST http://127.0.0.1:8081/broadcast",
    `-H "Authorization: Bearer $BROADCASTER_TOKEN"`,
    `-H 'Content-Type: application/json' -d "{\\"event\\":\\"tick\\",\\"data\\":{\\"seq\\":0,\\"at\\":$(date +%s%3N)}}"`,
  ].join(" ")]: TOKEN_STEPS,
  "docker compose up --build": {
    by: "scripts/test-compose.ts",
    runs: '"up", "-d", "--build", "--wait"',
    same: "detached and waiting for health, under a project name and free ports of its own",
  },
  "docker compose --profile observability up --build": {
    by: "scripts/test-compose.ts",
    runs: 'COMPOSE_PROFILES: "observability"',
    same: "the profile through COMPOSE_PROFILES, detached and waiting for health, on free ports",
  },
  "npm ci && npm test": { by: ".ci/run", runs: "npm ci --no-audit --no-fund" },
  "npm test": { by: ".ci/run", runs: "npm test" },
  "npm run test:compose": { by: ".ci/run", runs: "npm run test:compose" },
  "npm run test:swarm": { by: ".ci/run", runs: "npm run test:swarm" },
  "docker swarm init": {
    by: "scripts/test-swarm.ts",
    runs: '"swarm", "init", "--advertise-addr", "127.0.0.1"',
    same: "on loopback, with an address pool of its own",
  },
  "docker build -t socketio-cluster-reference:local .": {
    by: "scripts/test-swarm.ts",
    runs: 'docker("build", "-q", "-t", images[0]!, ".")',
    same: "under a tag of its own",
  },
  "deploy/swarm/deploy.sh": {
    by: "scripts/test-swarm.ts",
    runs: '"deploy/swarm/deploy.sh", stack, "-c", "test/swarm/stack.test.yml"',
    same: "under a stack name of its own, on free ports, with the test's file on top (replica ports)",
  },
  "docker service scale socketio_replica=5": {
    by: "test/swarm/swarm.test.ts",
    runs: '"service", "scale", "--detach=false", `${service("replica")}=${target!.replicas + 1}`',
    same: "the test's stack, waiting until converged, to one replica more (and back)",
  },
  "docker service update --image registry.example.com/socketio-cluster-reference:v2 socketio_replica": {
    by: "test/swarm/swarm.test.ts",
    runs: '["service", "update", "--detach=false", "--image", target!.images[1], service("replica")]',
    same: "the test's stack and second image, waiting until converged",
  },
  "docker stack rm socketio": {
    by: "scripts/test-swarm.ts",
    runs: 'quiet("stack", "rm", "--detach=false", stack)',
    same: "the test's stack, waiting until its tasks are gone",
  },
  "npm ci": { by: ".ci/run", runs: "npm ci" },
  "npm run bench": {
    by: ".ci/run",
    runs: "npm run bench -- --quick",
    same: "the same program with --quick (200 clients, 2 steps); the full run takes 5 minutes",
  },
  "npm run bench -- --quick": { by: ".ci/run", runs: "npm run bench -- --quick" },
  "npm run bench -- --clients 5000 --rates 5,10,20 --replicas 3 --workers 1 --duration 5 --repeats 3": {
    by: ".ci/run",
    runs: "npm run bench -- --quick",
    same: "the same program with --quick: the options only size it",
  },
  "npm run bench:idle -- --seconds 60 --settle 30 --out scripts/bench/results/example/idle.md": {
    by: ".ci/run",
    runs: "npm run bench:idle -- --seconds 5 --settle 0",
    same: "5 s windows, no settling, no report file",
  },
  "npm test -- services/server/app": { by: ".ci/run", runs: "npm test -- services/server/app" },
  "npm test -- --randomize": { by: ".ci/run", runs: "npm test -- --randomize" },
  "npm start": {
    by: "test/docs/commands.test.ts",
    runs: '"npm", ["start"]',
    same: "on a free port (PORT) instead of 3000",
  },
  "npm run stack": {
    by: "test/e2e/stack-cli.test.ts",
    runs: 'spawn(process.execPath, [CLI, "--replicas", "2", "--workers", "1"]',
    same: "the compiled CLI that `npm run stack` runs after its build",
  },
  "npm run stack -- --replicas 3 --workers 4 --port 8080": {
    by: "test/e2e/stack-cli.test.ts",
    runs: '[CLI, "--replicas", "1", "--workers", "1", ...args]',
    same: "the compiled CLI with --replicas, --workers and --port (a port held by another server)",
  },
  "docker compose up -d --no-recreate --scale replica=5": {
    by: "test/compose/compose.test.ts",
    runs: 'composeLive("up", "-d", "--no-recreate", "--wait", "--scale", `replica=${ids.length + 1}`)',
    same: "waiting for health, one replica more than running",
  },
  "docker compose exec nginx nginx -s reload": {
    by: "test/compose/compose.test.ts",
    runs: 'compose("exec", "-T", "nginx", "nginx", "-s", "reload")',
  },
  [[
    "curl -i -X POST http://127.0.0.1:8081/broadcast",
    `-H "Authorization: Bearer $BROADCASTER_TOKEN" -H 'Content-Type: application/json'`,
    `-d '{"event":"news","data":{"headline":"hello everyone"}}'`,
  ].join(" ")]: {
    by: "test/compose/compose.test.ts",
    runs: "documentedCurl(",
    same: "the block from docs/architecture.md, on the test's own broadcaster port",
  },
};
