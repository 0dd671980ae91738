// The reference document's Express application (redis-patterns-examples.md): cookie-parser,
// the session middleware (auth_service.ts) and the tiered rate-limit middleware
// (rate_limiter.ts), in the reference's order, serving GET /api/ping. For bench/serve.sh.
//
//   REDIS_PORT=P PORT=Q node dist/express_app.js
//
// Listens on 127.0.0.1:$PORT and prints "listening on http://127.0.0.1:PORT" when ready.
import express from 'express';
import cookieParser from 'cookie-parser';
import { sessionMiddleware } from './auth_service';
import { rateLimiter } from './rate_limiter';

const app = express();
app.use(cookieParser());
app.use(sessionMiddleware);
app.use(rateLimiter());
app.get('/api/ping', (_req, res) => {
    res.json({ pong: true });
});

const server = app.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    console.log(`listening on http://127.0.0.1:${port}`);
});
