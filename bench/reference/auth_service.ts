// The reference document's session-based authentication (redis-patterns-examples.md,
// "Session-Based Authentication"): VERBATIM, except for the changes marked "Changed:" below —
// the Redis connection, and `export` of AuthService, User and Session. req.cookies and
// req.session, which cookie-parser and a session middleware would declare, are declared in
// express-auth.d.ts; req.user in express-user.d.ts. The driver is bench_sessions.ts.
import Redis from 'ioredis';
import crypto from 'crypto';
import { Request, Response, NextFunction } from 'express';

// Changed: connect to the benchmark's redis-server, 127.0.0.1:$REDIS_PORT, instead of the
// default localhost:6379 (the reference: `const redis = new Redis();`).
const redis = new Redis(Number(process.env.REDIS_PORT ?? 6379), '127.0.0.1');

// Changed: exported (for the benchmark driver and express-auth.d.ts).
export interface User {
    id: string;
    email: string;
    roles: string[];
}

// Changed: exported (for the benchmark driver and express-auth.d.ts).
export interface Session {
    id: string;
    userId: string;
    user: User;
    deviceId: string;
    createdAt: number;
    lastAccess: number;
    fingerprint: string;
}

// Changed: exported (the benchmark driver calls login and validateSession directly).
export class AuthService {
    private readonly SESSION_TTL = 86400; // 24 hours
    private readonly MAX_SESSIONS = 5;

    async login(
        user: User,
        req: Request
    ): Promise<{ sessionId: string; expiresAt: number }> {
        const deviceId = req.headers['x-device-id'] as string || 'unknown';
        const fingerprint = this.generateFingerprint(req);

        // Check existing sessions
        const existingSessions = await this.getUserSessions(user.id);

        // Remove oldest if at limit
        if (existingSessions.length >= this.MAX_SESSIONS) {
            const oldest = existingSessions.sort(
                (a, b) => a.lastAccess - b.lastAccess
            )[0];
            await this.destroySession(oldest.id);
        }

        // Remove existing session for this device
        const deviceSession = existingSessions.find(s => s.deviceId === deviceId);
        if (deviceSession) {
            await this.destroySession(deviceSession.id);
        }

        // Create new session
        const sessionId = crypto.randomBytes(32).toString('hex');
        const session: Session = {
            id: sessionId,
            userId: user.id,
            user,
            deviceId,
            createdAt: Date.now(),
            lastAccess: Date.now(),
            fingerprint,
        };

        const pipeline = redis.pipeline();
        pipeline.set(
            `session:${sessionId}`,
            JSON.stringify(session),
            'EX',
            this.SESSION_TTL
        );
        pipeline.sadd(`user:sessions:${user.id}`, sessionId);
        pipeline.expire(`user:sessions:${user.id}`, this.SESSION_TTL);
        await pipeline.exec();

        return {
            sessionId,
            expiresAt: Date.now() + this.SESSION_TTL * 1000,
        };
    }

    async validateSession(
        sessionId: string,
        req: Request
    ): Promise<Session | null> {
        const data = await redis.get(`session:${sessionId}`);
        if (!data) return null;

        const session: Session = JSON.parse(data);

        // Validate fingerprint
        const currentFingerprint = this.generateFingerprint(req);
        if (session.fingerprint !== currentFingerprint) {
            console.warn('Session fingerprint mismatch');
            await this.destroySession(sessionId);
            return null;
        }

        // Update last access
        session.lastAccess = Date.now();
        await redis.set(
            `session:${sessionId}`,
            JSON.stringify(session),
            'EX',
            this.SESSION_TTL
        );

        return session;
    }

    async logout(sessionId: string): Promise<void> {
        await this.destroySession(sessionId);
    }

    async logoutAll(userId: string): Promise<number> {
        const sessionIds = await redis.smembers(`user:sessions:${userId}`);

        if (sessionIds.length === 0) return 0;

        const pipeline = redis.pipeline();
        for (const id of sessionIds) {
            pipeline.del(`session:${id}`);
        }
        pipeline.del(`user:sessions:${userId}`);
        await pipeline.exec();

        return sessionIds.length;
    }

    private async destroySession(sessionId: string): Promise<void> {
        const data = await redis.get(`session:${sessionId}`);
        if (!data) return;

        const session: Session = JSON.parse(data);

        const pipeline = redis.pipeline();
        pipeline.del(`session:${sessionId}`);
        pipeline.srem(`user:sessions:${session.userId}`, sessionId);
        await pipeline.exec();
    }

    private async getUserSessions(userId: string): Promise<Session[]> {
        const sessionIds = await redis.smembers(`user:sessions:${userId}`);
        const sessions: Session[] = [];

        for (const id of sessionIds) {
            const data = await redis.get(`session:${id}`);
            if (data) {
                sessions.push(JSON.parse(data));
            }
        }

        return sessions;
    }

    private generateFingerprint(req: Request): string {
        const data = [
            req.headers['user-agent'] || '',
            req.headers['accept-language'] || '',
        ].join('|');

        return crypto.createHash('sha256').update(data).digest('hex').slice(0, 16);
    }
}

// Middleware
const authService = new AuthService();

export async function sessionMiddleware(
    req: Request,
    res: Response,
    next: NextFunction
): Promise<void> {
    const sessionId = req.cookies.sessionId;

    if (sessionId) {
        const session = await authService.validateSession(sessionId, req);
        if (session) {
            req.session = session;
            req.user = session.user;
        }
    }

    next();
}

export function requireAuth(
    req: Request,
    res: Response,
    next: NextFunction
): void {
    if (!req.session) {
        res.status(401).json({ error: 'Unauthorized' });
        return;
    }
    next();
}
