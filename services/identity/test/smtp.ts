import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  to: string[];
  raw: string;
}

/** A real SMTP server in-process: mail goes over the wire exactly as in production. */
export class TestSmtpServer {
  readonly received: ReceivedMail[] = [];
  private server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData: (stream, session, callback) => {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        this.received.push({
          to: session.envelope.rcptTo.map((rcpt) => rcpt.address),
          raw: Buffer.concat(chunks).toString('utf8'),
        });
        callback();
      });
    },
  });

  async start(): Promise<string> {
    // A client that dies mid-conversation (a killed process in the chaos run) resets its connection;
    // without a listener that 'error' would end the test process.
    this.server.on('error', () => undefined);
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', () => resolve()));
    const { port } = this.server.server.address() as AddressInfo;
    return `smtp://127.0.0.1:${port}`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  /** The newest mail to this address. */
  latestTo(address: string): ReceivedMail | undefined {
    return [...this.received].reverse().find((mail) => mail.to.includes(address));
  }

  /**
   * The first link of the newest mail to this address (whose link contains `pathPart`, when
   * given), with quoted-printable soft breaks undone.
   */
  linkTo(address: string, pathPart = ''): string | undefined {
    for (const mail of [...this.received].reverse()) {
      if (!mail.to.includes(address)) continue;
      const text = mail.raw.replace(/=\r?\n/g, '').replace(/=3D/g, '=');
      const link = text.match(/https?:\/\/[^\s"<>]+/)?.[0];
      if (link?.includes(pathPart)) return link;
    }
    return undefined;
  }
}
