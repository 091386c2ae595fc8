import { Command, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_QUEUE } from '../amqp/topology.js';
import { ConfigError } from '../errors.js';
import { loadTemplates, NO_TEMPLATES } from '../messages/templates.js';
import { controlQueueOf, send } from './send.js';
import { validateFiles } from './validate.js';

function positiveSeconds(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0)
    throw new InvalidArgumentError('expected a number of seconds > 0.');
  return n;
}

/** While it is subscribed, Ctrl-C (SIGINT) calls `handler` instead of ending the process. */
function onInterrupt(handler: () => void): () => void {
  process.on('SIGINT', handler);
  return () => void process.off('SIGINT', handler);
}

function priority(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 10) throw new InvalidArgumentError('expected a whole number from 0 to 10.');
  return n;
}

function wholeSeconds(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isSafeInteger(n) || n < 0 || n > 86_400)
    throw new InvalidArgumentError('expected a whole number of seconds from 0 to 86400.');
  return n;
}

/** `docker-dispatch send|cancel|validate …`: parses `argv` and resolves with the exit code. */
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
    .option(
      '--no-stream',
      "don't ask for an attached run's live output (it is then printed from the reply, at the end)",
    )
    .option(
      '--priority <n>',
      "AMQP priority of the message, 0 to 10: on a queue with x-max-priority (the worker's --max-priority) it is taken " +
        'before queued messages of lower priority',
      priority,
    )
    .option('--verbose', "print the message's id and trace id on stderr once it is sent")
    .addOption(new Option('--json', 'print JSON lines (as the worker with --output json)'))
    .option(
      '--templates <dir>',
      "the worker's --templates, to check a message that names a Template as the worker will",
    )
    .action(
      async (
        amqpUrl: string,
        source: string | undefined,
        opts: {
          queue: string;
          exchange?: string;
          timeout?: number;
          wait: boolean;
          stream: boolean;
          priority?: number;
          verbose?: boolean;
          json?: boolean;
          templates?: string;
        },
      ) => {
        exitCode = await send({
          amqpUrl,
          source,
          queue: opts.queue,
          exchange: opts.exchange,
          timeoutSeconds: opts.timeout,
          wait: opts.wait,
          stream: opts.stream,
          priority: opts.priority,
          verbose: opts.verbose,
          onInterrupt,
          output: opts.json ? 'json' : 'text',
          templates: templatesFrom(opts.templates),
          write,
          writeError,
        });
      },
    );
  program
    .command('cancel')
    .description(
      'Cancel a message by its id: a run in progress is stopped, one not yet carried out is refused when it comes. ' +
        "Waits for the cancel's reply and prints it.",
    )
    .argument('<amqpUrl>', 'RabbitMQ URL, amqp://user:password@host:5672/vhost')
    .argument('<messageId>', "the message's message_id (else correlation_id), as its reply's MessageId")
    .option('-q, --queue <name>', 'queue the worker consumes (the one the message was sent to)', DEFAULT_QUEUE)
    .option('--exchange <name>', 'publish to this exchange with the queue name as routing key')
    .option(
      '--time <seconds>',
      'seconds a running container gets between SIGTERM and SIGKILL (default 10)',
      wholeSeconds,
    )
    .option('--timeout <seconds>', "give up waiting for the cancel's reply after this long (exit 124)", positiveSeconds)
    .option('--no-wait', 'publish the cancel without waiting for its reply')
    .addOption(new Option('--json', 'print JSON lines (as the worker with --output json)'))
    .action(
      async (
        amqpUrl: string,
        messageId: string,
        opts: { queue: string; exchange?: string; time?: number; timeout?: number; wait: boolean; json?: boolean },
      ) => {
        const message = {
          Dockercmd: 'cancel',
          MessageId: messageId,
          ...(opts.time === undefined ? {} : { Options: { Time: opts.time } }),
        };
        exitCode = await send({
          amqpUrl,
          source: JSON.stringify(message),
          // n.b. the control queue: every worker consumes it beside its commands, so a cancel overtakes a backlog.
          queue: controlQueueOf(opts.queue),
          exchange: opts.exchange,
          timeoutSeconds: opts.timeout,
          wait: opts.wait,
          output: opts.json ? 'json' : 'text',
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
