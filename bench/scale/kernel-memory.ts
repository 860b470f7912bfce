// What the kernel holds for sockets, machine-wide (both ends of every loopback connection count):
// /proc/net/sockstat (TCP sockets in use, pages of socket buffers) and, when readable, the slab caches
// that every TCP socket allocates from (/proc/slabinfo, root only).
import { readFileSync } from 'node:fs';

export interface KernelSample {
  tcpInUse: number;
  tcpTimeWait: number;
  /** Socket buffer memory (sockstat "mem", pages of 4 KiB), bytes. */
  tcpBufferBytes: number;
  /** Slab bytes of the caches below, or NaN when /proc/slabinfo is not readable. */
  slabBytes: number;
  slab: Record<string, number>;
}

/** Caches a TCP socket and its file descriptor take objects from. */
const socketCaches = ['TCP', 'sock_inode_cache', 'filp', 'eventpoll_epi', 'dentry', 'tcp_bind_bucket'];

export function kernelSample(): KernelSample {
  const sockstat = readFileSync('/proc/net/sockstat', 'utf8');
  const tcp = /^TCP: inuse (\d+) orphan \d+ tw (\d+) alloc \d+ mem (\d+)/m.exec(sockstat);
  const slab: Record<string, number> = {};
  let slabBytes = Number.NaN;
  try {
    slabBytes = 0;
    for (const line of readFileSync('/proc/slabinfo', 'utf8').split('\n')) {
      const fields = line.split(/\s+/);
      const name = fields[0] as string;
      if (!socketCaches.includes(name)) continue;
      // name active_objs num_objs objsize ...
      const bytes = Number(fields[2]) * Number(fields[3]);
      slab[name] = bytes;
      slabBytes += bytes;
    }
  } catch {
    slabBytes = Number.NaN;
  }
  return {
    tcpInUse: Number(tcp?.[1] ?? Number.NaN),
    tcpTimeWait: Number(tcp?.[2] ?? Number.NaN),
    tcpBufferBytes: Number(tcp?.[3] ?? Number.NaN) * 4096,
    slabBytes,
    slab,
  };
}
