import { GenericContainer, Wait, type StartedTestContainer } from 'testcontainers';

/** RabbitMQ in a container, for developers' machines where AMQP_URL is not set (needs an engine that can pull). */
export class RabbitMQContainer {
  private constructor(private readonly container: StartedTestContainer) {}

  static async start(): Promise<RabbitMQContainer> {
    const container = await new GenericContainer('rabbitmq:3.13-alpine')
      .withExposedPorts(5672)
      .withWaitStrategy(Wait.forLogMessage(/Server startup complete/))
      .withStartupTimeout(120_000)
      .start();
    return new RabbitMQContainer(container);
  }

  get url(): string {
    return `amqp://guest:guest@${this.container.getHost()}:${this.container.getMappedPort(5672)}`;
  }

  async stop(): Promise<void> {
    await this.container.stop();
  }
}
