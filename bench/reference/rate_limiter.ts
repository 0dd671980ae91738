import { Request, Response, NextFunction } from 'express';
import Redis from 'ioredis';

// Two changes to the reference (redis-patterns-examples.md, "API Rate Limiter Middleware"):
// connect to the benchmark's redis-server, 127.0.0.1:$REDIS_PORT, instead of the default
// localhost:6379; and the anonymous tier may be raised by $ANONYMOUS_LIMIT/$ANONYMOUS_WINDOW_MS
// (bench/serve.sh measures throughput, so nothing may be denied). Everything else below is the
// reference verbatim.
const redis = new Redis(Number(process.env.REDIS_PORT ?? 6379), '127.0.0.1');

interface RateLimitTier {
    limit: number;
    windowMs: number;
}

const RATE_LIMITS: Record<string, RateLimitTier> = {
    anonymous: { limit: Number(process.env.ANONYMOUS_LIMIT ?? 60),
                 windowMs: Number(process.env.ANONYMOUS_WINDOW_MS ?? 60000) },    // 60/min
    authenticated: { limit: 300, windowMs: 60000 }, // 300/min
    premium: { limit: 1000, windowMs: 60000 },     // 1000/min
};

const rateLimitScript = `
    local key = KEYS[1]
    local limit = tonumber(ARGV[1])
    local window = tonumber(ARGV[2])
    local now = tonumber(ARGV[3])

    redis.call('zremrangebyscore', key, 0, now - window)

    local count = redis.call('zcard', key)

    if count >= limit then
        local oldest = redis.call('zrange', key, 0, 0, 'WITHSCORES')
        local resetAt = oldest[2] and (tonumber(oldest[2]) + window) or (now + window)
        return {0, count, resetAt}
    end

    redis.call('zadd', key, now, now .. '-' .. math.random())
    redis.call('expire', key, math.ceil(window / 1000))

    return {1, count + 1, now + window}
`;

export function rateLimiter() {
    return async (req: Request, res: Response, next: NextFunction) => {
        // Determine rate limit tier
        const tier = req.user?.premium ? 'premium' :
                    req.user ? 'authenticated' : 'anonymous';
        const config = RATE_LIMITS[tier];

        // Generate key based on user or IP
        const identifier = req.user?.id || req.ip;
        const key = `ratelimit:${tier}:${identifier}`;

        try {
            const [allowed, count, resetAt] = await redis.eval(
                rateLimitScript,
                1,
                key,
                String(config.limit),
                String(config.windowMs),
                String(Date.now())
            ) as [number, number, number];

            // Set headers
            res.set({
                'X-RateLimit-Limit': String(config.limit),
                'X-RateLimit-Remaining': String(Math.max(0, config.limit - count)),
                'X-RateLimit-Reset': String(Math.ceil(resetAt / 1000)),
            });

            if (!allowed) {
                res.status(429).json({
                    error: 'Too Many Requests',
                    retryAfter: Math.ceil((resetAt - Date.now()) / 1000),
                });
                return;
            }

            next();
        } catch (error) {
            // Fail open - allow request if Redis is down
            console.error('Rate limit error:', error);
            next();
        }
    };
}
