import dns2 from 'dns2';

const { Packet } = dns2;

/**
 * A real DNS server on loopback (dns2, UDP) answering TXT questions from a zone the test edits;
 * point identity's DNS_SERVERS at `address`. Names it does not hold answer with no records;
 * names in `failing` answer SERVFAIL.
 */
export class TestDnsServer {
  readonly txt = new Map<string, string[]>();
  readonly failing = new Set<string>();
  private server = dns2.createServer({
    udp: true,
    handle: (request, send) => {
      const response = Packet.createResponseFromRequest(request);
      const [question] = request.questions;
      const name = question?.name.toLowerCase() ?? '';
      if (this.failing.has(name)) response.header.rcode = Packet.RCODE.SERVFAIL;
      else if (question?.type === Packet.TYPE.TXT) {
        for (const data of this.txt.get(name) ?? []) {
          response.answers.push(
            Packet.createResourceFromQuestion(question, {
              type: Packet.TYPE.TXT,
              class: Packet.CLASS.IN,
              ttl: 60,
              data,
            }),
          );
        }
      }
      send(response);
    },
  });

  /** `host:port` of the listening server. */
  address = '';

  async start(): Promise<string> {
    const addresses = await this.server.listen({ udp: { port: 0, address: '127.0.0.1' } });
    this.address = `127.0.0.1:${addresses.udp?.port}`;
    return this.address;
  }

  publish(name: string, ...values: string[]): void {
    this.txt.set(name.toLowerCase(), [...(this.txt.get(name.toLowerCase()) ?? []), ...values]);
  }

  async close(): Promise<void> {
    await this.server.close();
  }
}
