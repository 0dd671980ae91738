// The reference document's distributed job queue (redis-patterns-examples.md, "Distributed Job
// Queue"): VERBATIM, except for the changes marked "Changed:" below — the Redis connection,
// `export` of Job, JobHandler and JobQueue, and the "Usage" lines at the bottom, left out. The
// driver is bench_queue.ts.
import Redis from 'ioredis';
import crypto from 'crypto';

// Changed: connect to the benchmark's redis-server, 127.0.0.1:$REDIS_PORT, instead of the
// default localhost:6379 (the reference: `const redis = new Redis();`).
const redis = new Redis(Number(process.env.REDIS_PORT ?? 6379), '127.0.0.1');

// Changed: exported (for the benchmark driver).
export interface Job<T = unknown> {
    id: string;
    type: string;
    data: T;
    priority: number;
    attempts: number;
    maxAttempts: number;
    createdAt: number;
    processedAt?: number;
    error?: string;
}

// Changed: exported (for the benchmark driver).
export type JobHandler<T> = (job: Job<T>) => Promise<void>;

// Changed: exported (the benchmark driver calls enqueue, registerHandler, start and stop
// directly).
export class JobQueue {
    private handlers = new Map<string, JobHandler<any>>();
    private isProcessing = false;

    constructor(
        private queueName: string,
        private concurrency: number = 5
    ) {}

    private get pendingKey(): string {
        return `queue:${this.queueName}:pending`;
    }

    private get processingKey(): string {
        return `queue:${this.queueName}:processing`;
    }

    private get deadLetterKey(): string {
        return `queue:${this.queueName}:dead`;
    }

    private jobKey(jobId: string): string {
        return `queue:${this.queueName}:job:${jobId}`;
    }

    async enqueue<T>(
        type: string,
        data: T,
        options: { priority?: number; maxAttempts?: number } = {}
    ): Promise<string> {
        const jobId = crypto.randomUUID();
        const job: Job<T> = {
            id: jobId,
            type,
            data,
            priority: options.priority ?? 0,
            attempts: 0,
            maxAttempts: options.maxAttempts ?? 3,
            createdAt: Date.now(),
        };

        const pipeline = redis.pipeline();
        pipeline.set(this.jobKey(jobId), JSON.stringify(job));
        pipeline.zadd(this.pendingKey, job.priority, jobId);
        await pipeline.exec();

        return jobId;
    }

    registerHandler<T>(type: string, handler: JobHandler<T>): void {
        this.handlers.set(type, handler);
    }

    async start(): Promise<void> {
        this.isProcessing = true;

        // Recover jobs stuck in processing
        await this.recoverStuckJobs();

        // Start worker loops
        const workers = Array(this.concurrency)
            .fill(null)
            .map(() => this.workerLoop());

        await Promise.all(workers);
    }

    stop(): void {
        this.isProcessing = false;
    }

    private async workerLoop(): Promise<void> {
        while (this.isProcessing) {
            try {
                await this.processNextJob();
            } catch (error) {
                console.error('Worker error:', error);
                await new Promise(r => setTimeout(r, 1000));
            }
        }
    }

    private async processNextJob(): Promise<void> {
        // Move job from pending to processing atomically
        const jobId = await redis.eval(`
            local jobId = redis.call('zpopmin', KEYS[1])
            if jobId[1] then
                redis.call('zadd', KEYS[2], ARGV[1], jobId[1])
                return jobId[1]
            end
            return nil
        `, 2, this.pendingKey, this.processingKey, String(Date.now())) as string | null;

        if (!jobId) {
            // No jobs - wait a bit
            await new Promise(r => setTimeout(r, 100));
            return;
        }

        const jobData = await redis.get(this.jobKey(jobId));
        if (!jobData) return;

        const job: Job = JSON.parse(jobData);
        job.attempts++;
        job.processedAt = Date.now();

        const handler = this.handlers.get(job.type);
        if (!handler) {
            console.error(`No handler for job type: ${job.type}`);
            await this.failJob(job, 'No handler registered');
            return;
        }

        try {
            await handler(job);
            await this.completeJob(job);
        } catch (error: any) {
            await this.handleJobError(job, error.message);
        }
    }

    private async completeJob(job: Job): Promise<void> {
        const pipeline = redis.pipeline();
        pipeline.zrem(this.processingKey, job.id);
        pipeline.del(this.jobKey(job.id));
        await pipeline.exec();
    }

    private async handleJobError(job: Job, error: string): Promise<void> {
        job.error = error;

        if (job.attempts < job.maxAttempts) {
            // Retry with exponential backoff
            const delay = Math.pow(2, job.attempts) * 1000;
            const retryAt = Date.now() + delay;

            const pipeline = redis.pipeline();
            pipeline.set(this.jobKey(job.id), JSON.stringify(job));
            pipeline.zrem(this.processingKey, job.id);
            pipeline.zadd(this.pendingKey, retryAt, job.id);
            await pipeline.exec();
        } else {
            await this.failJob(job, error);
        }
    }

    private async failJob(job: Job, error: string): Promise<void> {
        job.error = error;

        const pipeline = redis.pipeline();
        pipeline.zrem(this.processingKey, job.id);
        pipeline.zadd(this.deadLetterKey, Date.now(), job.id);
        pipeline.set(this.jobKey(job.id), JSON.stringify(job));
        await pipeline.exec();
    }

    private async recoverStuckJobs(): Promise<void> {
        const stuckTimeout = 5 * 60 * 1000; // 5 minutes
        const cutoff = Date.now() - stuckTimeout;

        const stuckJobs = await redis.zrangebyscore(
            this.processingKey, 0, cutoff
        );

        for (const jobId of stuckJobs) {
            await redis.eval(`
                redis.call('zrem', KEYS[1], ARGV[1])
                redis.call('zadd', KEYS[2], 0, ARGV[1])
            `, 2, this.processingKey, this.pendingKey, jobId);
        }
    }

    async getStats(): Promise<{
        pending: number;
        processing: number;
        dead: number;
    }> {
        const [pending, processing, dead] = await Promise.all([
            redis.zcard(this.pendingKey),
            redis.zcard(this.processingKey),
            redis.zcard(this.deadLetterKey),
        ]);

        return { pending, processing, dead };
    }
}

// Changed: the reference's "Usage" lines are left out (a JobQueue('emails', 3), a 'send-email'
// handler calling an undefined sendEmail, one enqueue with top-level await, which does not
// compile to CommonJS and would run on import, and start()); bench_queue.ts is the usage.
