/** The floor: a bare fastify hello-world, in its own process like every other target; any path answers. */
import Fastify from 'fastify';

const app = Fastify({ logger: false });
app.get('/*', async () => ({ hello: 'world' }));
await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 18999) });
