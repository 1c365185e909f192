import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * FreeRADIUS from Debian, the anchor of the RADIUS bench: `freeradius -f` (foreground, without
 * -X, whose debug output would measure the terminal) on a throwaway configuration directory that
 * holds only what PAP from a users file needs: one client (127.0.0.1, Message-Authenticator
 * required, as Tessera requires it), the pap and files modules, one auth listener on loopback.
 */
export interface FreeRadius {
  readonly port: number;
  readonly child: ChildProcess;
  stop(): Promise<void>;
}

export async function startFreeRadius(options: {
  readonly port: number;
  readonly secret: string;
  readonly username: string;
  readonly password: string;
}): Promise<FreeRadius> {
  const dir = mkdtempSync(join(tmpdir(), "tessera-bench-freeradius-"));
  for (const sub of ["run", "log"]) mkdirSync(join(dir, sub));
  writeFileSync(join(dir, "users"), `${options.username} Cleartext-Password := "${options.password}"\n`);
  writeFileSync(
    join(dir, "radiusd.conf"),
    `prefix = /usr
exec_prefix = /usr
sysconfdir = /etc
localstatedir = /var
sbindir = /usr/sbin
confdir = ${dir}
raddbdir = ${dir}
logdir = ${dir}/log
run_dir = ${dir}/run
libdir = /usr/lib/freeradius
pidfile = ${dir}/run/radiusd.pid
name = freeradius
max_request_time = 30
cleanup_delay = 5
max_requests = 65536
hostname_lookups = no
log {
  destination = stderr
  auth = no
}
security {
  allow_core_dumps = no
  max_attributes = 200
  reject_delay = 0
  status_server = no
}
thread pool {
  start_servers = 4
  max_servers = 8
  min_spare_servers = 2
  max_spare_servers = 8
  max_requests_per_server = 0
}
client bench {
  ipaddr = 127.0.0.1
  secret = ${options.secret}
  require_message_authenticator = yes
}
modules {
  pap {
  }
  files {
    filename = ${dir}/users
  }
}
server default {
  listen {
    type = auth
    ipaddr = 127.0.0.1
    port = ${options.port}
  }
  authorize {
    files
    pap
  }
  authenticate {
    Auth-Type PAP {
      pap
    }
  }
}
`,
  );
  const child = spawn("freeradius", ["-f", "-d", dir], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (chunk) => {
    stderr += chunk;
  });
  const stop = async () => {
    if (child.exitCode === null) {
      child.kill("SIGTERM");
      await new Promise((resolve) => child.once("exit", resolve));
    }
    rmSync(dir, { recursive: true, force: true });
  };
  // Ready once it answers a Status-less probe: wait for the port to be bound (ss would need root).
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) throw new Error(`freeradius exited: ${stderr}`);
    if (await udpBound(options.port)) return { port: options.port, child, stop };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await stop();
  throw new Error(`freeradius did not start: ${stderr}`);
}

/** Whether something holds UDP port `port` on 127.0.0.1 (binding it ourselves fails then). */
async function udpBound(port: number): Promise<boolean> {
  const { createSocket } = await import("node:dgram");
  const probe = createSocket("udp4");
  return new Promise((resolve) => {
    probe.once("error", () => {
      probe.close();
      resolve(true);
    });
    probe.bind(port, "127.0.0.1", () => {
      probe.close();
      resolve(false);
    });
  });
}
