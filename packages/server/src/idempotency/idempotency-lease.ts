import type { FastifyReply, FastifyRequest } from "fastify";

/**
 * The lease of an Idempotency-Key claim, renewed while its request runs. Without renewal a request
 * slower than the lease (a large user import queued behind Argon2) lost its claim to the retry,
 * ran twice, and the key kept the retry's answer. So the owning process moves `lease_until`
 * forward every third of the lease, by compare-and-set on its random claim id: a claim is taken over
 * only once its owner stopped renewing it, which means the process died. A request on the hot path
 * costs no extra write: a timer that never fires writes nothing.
 */
export interface HeldClaim {
  readonly claimId: string;
  /** Stops the renewal; idempotent. */
  readonly stop: () => void;
}

const held = new WeakMap<FastifyRequest, HeldClaim>();

export function heldClaim(request: FastifyRequest): HeldClaim | undefined {
  return held.get(request);
}

/** Starts renewing the claim `claimId` on row `id` until the answer is stored or sent. */
export function holdClaim(request: FastifyRequest, reply: FastifyReply, id: string, claimId: string): void {
  const { database, clock, config } = request.server.ctx;
  const leaseMs = config.idempotency.leaseSeconds * 1000;
  const renew = async () => {
    const renewed = await database.db
      .updateTable("idempotency_keys")
      .set({ lease_until: clock.now() + leaseMs })
      .where((eb) => eb.and({ id, claim_id: claimId, status_code: 0 }))
      .executeTakeFirst();
    // The claim is gone (answered, released, or expired after a day): nothing left to hold.
    if (Number(renewed.numUpdatedRows) === 0) stop();
  };
  const timer = setInterval(() => {
    renew().catch((error: unknown) =>
      request.log.warn({ error: (error as Error).message }, "idempotency lease renewal failed"),
    );
  }, leaseMs / 3);
  // A renewal timer must not keep a stopping process alive: its requests are drained first.
  timer.unref();
  const stop = () => {
    clearInterval(timer);
    reply.raw.off("finish", stop);
    reply.raw.off("error", stop);
  };
  // The answer is normally stored in onSend, which stops the renewal; a response that skipped it
  // stops here. Not on 'close': a client that hung up does not stop its handler, and a retry
  // must not run the request a second time while the first one still runs.
  reply.raw.once("finish", stop);
  reply.raw.once("error", stop);
  held.set(request, { claimId, stop });
}
