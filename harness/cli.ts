/**
 * The gatherbench command line. Every failure the user can fix ends as one
 * line on stderr and exit code 2; see ExitCode in errors.ts.
 */
import { Command, CommanderError, Option } from 'commander';
import { ExitCode, UserError } from './errors.js';
import { runCommand } from './cli/run.js';
import { infoCommand } from './cli/info.js';
import { listCommand } from './cli/list.js';
import { selftestCommand } from './cli/selftest.js';
import { modelCommand } from './cli/model.js';
import { compareCommand } from './cli/compare.js';
import { mergeCommand, reportCommand } from './cli/report.js';
import { baselineListCommand, baselineSaveCommand } from './cli/baseline.js';
import { historyAppendCommand, historyReportCommand } from './cli/history.js';
import { defaultStore } from './compare/baselines.js';
import { gateStudyCommand } from './cli/gate-study.js';
import { abCommand } from './cli/ab.js';
import { anatomyCommand } from './cli/anatomy.js';
import { version } from './version.js';

const EXIT_HELP = `
Exit codes:
  0    success
  1    a point failed verification or errored (run), or a regression was found (compare)
  2    bad input: malformed scenario, impossible sizes, unknown names, missing files
  130  interrupted by Ctrl-C (finished points are saved; resume with run --resume <dir>)
  143  stopped by SIGTERM, e.g. a scheduler's time limit (likewise saved and resumable)`;

/** A gate command (compare, ab) with the options both share: what counts as a change, what is gated, the printers. */
function gateCommand(program: Command, name: string, description: string, args: [string, string], what: string): Command {
  return program
    .command(name)
    .description(description)
    .argument(...args)
    .option('--threshold <pct>', 'smallest change in median time that counts', '5%')
    .option('--gate-ceilings', 'let the copy ceilings (pinned-memcpy, host-memcpy) fail the job too; by default they are reported only')
    .option('--all', 'list unchanged points too')
    .option('--markdown <file>', 'write a markdown summary (also appended to $GITHUB_STEP_SUMMARY when set)')
    .option('--junit <file>', 'write JUnit XML, one test case per point')
    .option('--json <file>', `write ${what} as JSON`);
}

/** The exit code of the command in progress: what a closed stdout ends the process with. */
let currentCode: number = ExitCode.ok;
let epipeGuarded = false;

/** Output piped into `head` and closed early: stop quietly, as any command-line tool does (one listener a process). */
function stopQuietlyOnClosedStdout(): void {
  if (epipeGuarded) return;
  epipeGuarded = true;
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(currentCode);
    throw e;
  });
}

export async function main(argv: string[], log: (l: string) => void = (l) => process.stdout.write(l + '\n')): Promise<number> {
  let code: number = ExitCode.ok;
  currentCode = code;
  stopQuietlyOnClosedStdout();
  const program = new Command('gatherbench')
    .description('Measure and explain how a GPU should fetch irregular rows from host memory.')
    .version(version)
    .addHelpText('after', EXIT_HELP)
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });

  program
    .command('run')
    .description('run a scenario (a name from scenarios/ or a path to a YAML file); writes results/<UTC time>-<name>/')
    .argument('[scenario]', 'scenario name or file (default: default)')
    .option('-o, --out <dir>', 'root folder for run directories', 'results')
    .option('--resume <dir>', 'finish an interrupted run in <dir> (its own scenario is used)')
    .option('--methods <list>', 'comma-separated methods to run instead of the scenario\'s')
    .option('--budget <duration>', "override the scenario's time budget per point, e.g. 500ms (0: minSamples only)")
    .option('--no-flush', 'warm samples: no GPU cache and translation flush between samples (sampling.flush: false)')
    .option('--only <file>', 'measure only the point ids listed in this file, one per line')
    .option('--python <interpreter>', 'the Python (with torch, and dgl where installed) of the peer methods; default $GATHERBENCH_PYTHON, else python3')
    .option('--no-report', 'skip writing report.html')
    .option('--history <file>', 'append the finished run to this JSONL history (see gatherbench history)')
    .addHelpText('after', EXIT_HELP)
    .action(async (scenario: string | undefined, opts) => {
      code = await runCommand(scenario, { ...opts, log });
    });

  program
    .command('list')
    .description('list scenarios, methods (and whether this machine can run them) and axes')
    .option('--python <interpreter>', 'the Python of the peer methods (default $GATHERBENCH_PYTHON, else python3)')
    .action(async (opts) => {
      code = await listCommand(log, opts);
    });

  program
    .command('info')
    .description('print the environment and backend detection')
    .addOption(new Option('--json', 'machine-readable output'))
    .option('--python <interpreter>', 'the Python of the peer methods (default $GATHERBENCH_PYTHON, else python3)')
    .action(async (opts) => {
      code = await infoCommand(opts, log);
    });

  program
    .command('selftest')
    .description('check every available method against the host table over the correctness matrix')
    .option('--methods <list>', 'comma-separated methods (default: all available here)')
    .option('--device <n>', 'CUDA device index', '0')
    .option('--scenario <name|file>', 'instead: every point of a scenario through verification only (its sets checked, 3 checksummed samples each, no telemetry)')
    .action(async (opts) => {
      code = await selftestCommand(opts, log);
    });

  program
    .command('report')
    .description('(re)build report.html and summary.md for a run, or compare runs')
    .argument('<runs...>', 'run directories (or their results.json)')
    .option('--compare', 'one comparison report of two or more runs, points matched by method and axes')
    .option('-o, --out <dir>', 'where the comparison goes (default: results/compare-<UTC time>)')
    .option('--svg', 'also export every chart as SVG (charts/<id>.svg)')
    .option('--png', 'also export every chart as PNG through headless Chromium')
    .action(async (refs: string[], opts) => {
      code = await reportCommand(refs, opts, log);
    });

  program
    .command('model')
    .description('the explanatory model: predicted requests, bytes on the wire and pages for a scenario (no GPU needed), or the constants fitted to a run')
    .argument('<scenario-or-run>', 'scenario name or file, or a run directory')
    .action((ref: string) => {
      code = modelCommand(ref, log);
    });

  program
    .command('merge')
    .description('combine runs from several hosts (e.g. a Slurm array) into one comparison report')
    .argument('<runs...>', 'run directories')
    .option('-o, --out <dir>', 'output folder', 'results/merged')
    .option('--svg', 'also export the charts as SVG')
    .action(async (refs: string[], opts) => {
      code = await mergeCommand(refs, opts, log);
    });

  gateCommand(
    program,
    'compare',
    'regression gate: compare a candidate run with a baseline (a run directory, results.json, or @name of a saved baseline)',
    ['<runs...>', 'one or more baselines (run directories, or @name for the runs saved under that name), then the candidate'],
    'the comparison',
  )
    .option('--alpha <p>', 'the night\'s false rate: chance that unchanged code has a gated point slower', '0.02')
    .option('--force', 'compare across GPU models')
    .option('--fail-on-missing', 'exit 1 when baseline points are missing from the candidate')
    .option('--history <file>', 'a JSONL history (gatherbench history append): its earlier runs of this GPU widen each point\'s run-to-run noise estimate')
    .option('--confirm', 're-measure the points called slower in a fresh process (the candidate\'s scenario, on this machine); only those slower again fail')
    .option('--store <dir>', 'baseline store for @name', defaultStore())
    .option('--allow-incomplete', 'judge an interrupted or unfinished candidate run on the points it has (refused by default: exit 1)')
    .addHelpText('after', '\nEach point ends same, slower, faster or uncertain. Runs are the unit: a point\'s change is its candidate\nmedian over the geometric mean of its earlier run medians, split into the shift its method took in the\ncandidate run and its own part. Slower: its own part beyond the residual noise, or its method\'s shift beyond\nearlier runs\' shifts (variances pooled over methods of alike noise), and a threshold-sized slowdown not\nruled out; alpha is shared over the gated points and the methods (Student t). Same: the whole\nchange\'s interval inside the threshold. One baseline run cannot show run-to-run noise: moves are uncertain.\nOnly a gated point (not a copy ceiling, unless --gate-ceilings) that is slower fails the job.\n' + EXIT_HELP)
    .action((runs: string[], opts) => {
      code = compareCommand(runs, opts, log);
    });

  gateCommand(
    program,
    'ab',
    'regression gate of two builds on this machine: both run the scenario in interleaved rounds; verdicts from the paired rounds',
    ['<sides...>', '<baseline> [candidate] [scenario]: gatherbench executables (a bundle\'s gatherbench, bin/gatherbench.js, a wrapper script; the candidate defaults to this gatherbench), then a scenario name or file (default: default)'],
    'the job (verdicts, rounds, noise)',
  )
    .option('--alpha <p>', 'the job\'s false rate: chance that unchanged code fails it', '0.02')
    .option('--rounds <n>', 'at most this many rounds (each runs both sides once)', '10')
    .option('--min-rounds <n>', 'rounds before the first look at the verdicts (default 4, or --rounds if fewer)')
    .option('--order <abba|random>', 'who runs first in each round', 'abba')
    .option('--seed <n>', 'seed of the random order', '1')
    .option('--grain <run|method|point>', 'inside a round, the sides take turns by whole run, by method or by point (round 1 runs whole)', 'run')
    .option('--budget <duration>', "both sides' time budget per point (run --budget)")
    .option('--side-timeout <duration>', 'how long one side\'s run may take before its process group is killed and the job fails (default: 4x the longer side of round 1, at least 30s; 1h for the first side)')
    .option('-o, --out <dir>', 'the job\'s folder: every run, ab.json, report.html, summary.md (default results/ab-<UTC time>)')
    .option('--history <file>', 'append the night to this JSONL history: the candidate\'s last run and each point\'s paired ratio (history report draws them)')
    .addHelpText('after', '\nRounds alternate the order (ABBA, or randomized); both sides read one scenario file, so seeds and index sets\nare the same. Per point, the paired ratios of the rounds (candidate over baseline) give a geometric mean and\na Student t interval at the level the job\'s false rate leaves each gated point and look. Slower: the interval\nlies above 1 and reaches past the threshold. Same: it lies inside the threshold band. Otherwise uncertain.\nThe job stops after every second round from --min-rounds on once every gated point is resolved, or once those\nleft uncertain could not be resolved by --rounds at their spread.\n' + EXIT_HELP)
    .action(async (sides: string[], opts) => {
      code = await abCommand(sides, opts, log);
    });

  program
    .command('anatomy')
    .description("where the CPU path's run-to-run luck lives: each suspect redrawn inside one process, against fresh processes")
    .option('--rows <bytes,...>', 'row sizes', '128,4096')
    .option('--threads <n,...>', 'gather threads (0: every CPU)', '0')
    .option('--batch <rows>', 'rows a gather', '65536')
    .option('--table <size>', 'the table', '256MiB')
    .option('--factors <list|all>', `suspects redrawn between draws: ${'none, table-fresh, table-remap, table-huge, buffers, threads, threads-pinned, wake-spin, time'}`, 'all')
    .option('--draws <n>', 'draws of each suspect', '6')
    .option('--samples <n>', 'timed samples a draw', '9')
    .option('--processes <n>', 'fresh processes, one draw each, for the spread between processes', '6')
    .option('--wait <duration>', 'between the draws of suspect time', '10s')
    .option('--json <file>', 'write every draw\'s samples as JSON (- for stdout alone)')
    .action(async (opts) => {
      code = await anatomyCommand(opts, log);
    });

  program
    .command('gate-study')
    .description('measure the gate: false failures over every choice of baselines and candidate among runs of unchanged code, and detection of a planted slowdown')
    .argument('<runs...>', 'runs of unchanged code (same scenario, same GPU model)')
    .option('--baselines <k>', 'baseline runs per night (default: 3, or one fewer than the runs)')
    .option('--plant <pct>', 'also measure detection of every sample stretched by this much, e.g. 10%')
    .option('--slowed <runs...>', 'also measure detection against runs made with a planted slowdown (GATHERBENCH_TEST_SLOWDOWN_PCT)')
    .option('--threshold <pct>', 'the gate threshold studied', '5%')
    .option('--no-history', 'estimate each night\'s noise from its baselines only (default: also from the other runs, as a kept history does)')
    .option('--nights <n>', 'at most this many nights: past it, a seeded sample of the baseline choices (default 5000)')
    .option('--no-confirm', 'judge each night as compare without --confirm (default: a slower point is judged again on the run made next, as --confirm re-measures)')
    .option('--json <file>', 'write the study as JSON')
    .action((runs: string[], opts) => {
      code = gateStudyCommand(runs, opts, log);
    });

  const baseline = program.command('baseline').description('save and list baselines, keyed by GPU model and driver');
  baseline
    .command('save')
    .argument('<run>', 'a complete run directory')
    .option('--name <name>', 'baseline name', 'default')
    .option('--store <dir>', 'baseline store', defaultStore())
    .action((run: string, opts) => {
      code = baselineSaveCommand(run, opts, log);
    });
  baseline
    .command('list')
    .option('--store <dir>', 'baseline store', defaultStore())
    .action((opts) => {
      code = baselineListCommand(opts, log);
    });

  const history = program.command('history').description('the nightly history: append runs, draw trends with step changes marked');
  history
    .command('append')
    .argument('<run>', 'a complete run directory')
    .option('--file <file>', 'JSONL history file', 'history.jsonl')
    .action((run: string, opts) => {
      code = historyAppendCommand(run, opts, log);
    });
  history
    .command('report')
    .option('--file <file>', 'JSONL history file', 'history.jsonl')
    .option('-o, --out <dir>', 'output folder', '.')
    .option('--threshold <pct>', 'smallest step that is marked', '5%')
    .action((opts) => {
      code = historyReportCommand(opts, log);
    });

  // A command of subcommands alone, or with one it lacks: one line and exit 2 (commander would print the
  // command's help, and exit 0 where none was named).
  for (const parent of [baseline, history]) {
    const subs = parent.commands.map((c) => c.name()).join(', ');
    parent.argument('[subcommand]').action((sub: string | undefined) => {
      throw new UserError(sub === undefined ? `${parent.name()}: name a subcommand: ${subs}` : `${parent.name()}: unknown subcommand '${sub}' (${subs})`);
    });
  }

  // An unknown command is bad input, --help or not (commander would print the main help and exit 0).
  // `help <name>` of an unknown name alike.
  const words = argv.slice(2);
  const known = new Set(program.commands.flatMap((c) => [c.name(), ...c.aliases()]).concat('help'));
  const named = words[0] === 'help' ? words.slice(1).find((a) => !a.startsWith('-')) : words[0];
  if (named !== undefined && !named.startsWith('-') && !known.has(named)) {
    process.stderr.write(`gatherbench: unknown command '${named}' (gatherbench --help lists them)\n`);
    return ExitCode.badInput;
  }
  try {
    await program.parseAsync(argv);
    return (currentCode = code);
  } catch (e) {
    if (e instanceof CommanderError) {
      // help asked for (or the version) is a success; help shown because no command was named is not
      const asked = e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || (e.code === 'commander.help' && e.exitCode === 0);
      return asked ? ExitCode.ok : ExitCode.badInput;
    }
    if (e instanceof UserError) {
      process.stderr.write(`gatherbench: ${e.message}\n`);
      return (currentCode = e.exitCode);
    }
    process.stderr.write(`gatherbench: internal error: ${(e as Error)?.message ?? String(e)}\n`);
    if (process.env.GATHERBENCH_DEBUG) process.stderr.write(`${(e as Error)?.stack}\n`);
    return ExitCode.failures;
  }
}
