import { Command, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_QUEUE } from '../amqp/topology.js';
import { ConfigError } from '../errors.js';
import { loadTemplates, NO_TEMPLATES } from '../messages/templates.js';
import { send } from './send.js';
import { validateFiles } from './validate.js';

function positiveSeconds(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0)
    throw new InvalidArgumentError('expected a number of seconds > 0.');
  return n;
}

/** `docker-dispatch send …` and `docker-dispatch validate …`: parses `argv` and resolves with the exit code. */
export async function runClient(argv: readonly string[]): Promise<number> {
  let exitCode = 0;
  const write = (text: string) => void process.stdout.write(text);
  const writeError = (text: string) => void process.stderr.write(text);
  const program = new Command().name('docker-dispatch').exitOverride();
  program
    .command('send')
    .description("Validate a message, publish it, wait for the worker's reply and print it as the worker does.")
    .argument('<amqpUrl>', 'RabbitMQ URL, amqp://user:password@host:5672/vhost')
    .argument('[message]', "a file, - for stdin (the default), or the JSON itself ('{…}')")
    .option('-q, --queue <name>', 'queue the worker consumes', DEFAULT_QUEUE)
    .option(
      '--exchange <name>',
      'publish to this exchange with the queue name as routing key (default: straight to the queue)',
    )
    .option(
      '--timeout <seconds>',
      'give up waiting for the reply after this long (exit 124); default: wait as long as it takes',
      positiveSeconds,
    )
    .option('--no-wait', 'publish and print the message id, without waiting for the reply')
    .addOption(new Option('--json', 'print JSON lines (as the worker with --output json)'))
    .option(
      '--templates <dir>',
      "the worker's --templates, to check a message that names a Template as the worker will",
    )
    .action(
      async (
        amqpUrl: string,
        source: string | undefined,
        opts: { queue: string; exchange?: string; timeout?: number; wait: boolean; json?: boolean; templates?: string },
      ) => {
        exitCode = await send({
          amqpUrl,
          source,
          queue: opts.queue,
          exchange: opts.exchange,
          timeoutSeconds: opts.timeout,
          wait: opts.wait,
          output: opts.json ? 'json' : 'text',
          templates: templatesFrom(opts.templates),
          write,
          writeError,
        });
      },
    );
  program
    .command('validate')
    .description("Check messages offline against the worker's schemas (exit 0 when all are valid, 2 otherwise).")
    .argument('<file...>', 'message files (- for stdin)')
    .option('--templates <dir>', "the worker's --templates, to check messages that name a Template as the worker will")
    .action(async (files: string[], opts: { templates?: string }) => {
      exitCode = await validateFiles(
        files,
        (line) => write(`${line}\n`),
        (line) => writeError(`docker-dispatch: ${line}\n`),
        templatesFrom(opts.templates),
      );
    });
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof ConfigError) {
      writeError(`docker-dispatch: ${err.message}\n`);
      return 2;
    }
    // commander has printed its own message (usage errors, --help).
    const code = (err as { exitCode?: number }).exitCode;
    return code === 0 ? 0 : 2;
  }
  return exitCode;
}

function templatesFrom(dir: string | undefined) {
  return dir === undefined ? NO_TEMPLATES : loadTemplates(dir);
}
