// The reference's session middleware (auth_service.ts) reads req.cookies, which cookie-parser
// sets, and sets req.session; Express's types declare neither, so declare them here (cookies as
// @types/cookie-parser does). req.user is declared in express-user.d.ts.
import type { Session } from './auth_service';

declare global {
  namespace Express {
    interface Request {
      cookies: Record<string, any>;
      session?: Session;
    }
  }
}
export {};
