// The reference reads req.user, which an authentication middleware sets before it; Express's
// types do not declare it, so declare the two fields the limiter reads.
declare global {
  namespace Express {
    interface Request {
      user?: { id: string; premium?: boolean };
    }
  }
}
export {};
