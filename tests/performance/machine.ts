import os from 'node:os';

/** The machine and its load when the numbers were taken: the machine is shared, so say how busy. */
export interface MachineInfo {
  node: string;
  platform: string;
  cpus: number;
  cpuModel: string;
  totalMemMb: number;
  /** 1-, 5- and 15-minute load averages. */
  loadavg: number[];
  /** Whether NODE_EXTRA_CA_CERTS is set: it adds tens of ms to every Node start (both sides pay it). */
  nodeExtraCaCerts: boolean;
}

export function machine(env: NodeJS.ProcessEnv = process.env): MachineInfo {
  const cpus = os.cpus();
  return {
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    cpus: cpus.length,
    cpuModel: cpus[0]?.model ?? 'unknown',
    totalMemMb: Math.round(os.totalmem() / 2 ** 20),
    loadavg: os.loadavg(),
    nodeExtraCaCerts: (env.NODE_EXTRA_CA_CERTS ?? '') !== '',
  };
}

/** One line: Node version, cores, load average, NODE_EXTRA_CA_CERTS. */
export function formatMachine(info: MachineInfo): string {
  return (
    `node ${info.node}, ${info.cpus} cores (${info.cpuModel}), ${info.totalMemMb} MB, ${info.platform}; ` +
    `load average ${info.loadavg.map((value) => value.toFixed(2)).join(' ')}; ` +
    `NODE_EXTRA_CA_CERTS ${info.nodeExtraCaCerts ? 'set' : 'not set'}`
  );
}
