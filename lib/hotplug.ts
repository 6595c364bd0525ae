/**
 * Hotplug: attach and detach devices at run time (`rte_dev_probe`,
 * `rte_eal_hotplug_remove`). EAL carries each attach or detach to every
 * process of the group (the request goes to the primary, which applies it
 * everywhere or rolls it back), so a device attached in one process is a
 * port in all of them. Also the list of ports with their devices, and
 * whether a port is started.
 *
 * @example
 * ```ts
 * import { attachDevice, detachDevice, initEal, listPorts } from "./mod.ts";
 *
 * using eal = initEal(["-l", "0", "--no-pci", "--file-prefix=hp"], {
 *   removeFilesOnCleanup: true,
 * });
 * const dev = attachDevice("net_null0");
 * console.log(dev.ports.map((p) => `${p.id} ${p.name}`)); // ["0 net_null0"]
 * detachDevice("net_null0");
 * console.log(listPorts().length); // 0
 * ```
 *
 * @module
 */

import { cbuf, cstr, fact, lib } from "../ffi/lib.ts";
import { RTE } from "./constants.ts";
import { DpdkError, strerror } from "./errors.ts";
import { ealInitialised, processType } from "./eal.ts";
import { Port } from "./ethdev.ts";

/** A device as a device string names it: its bus and its name. */
export interface DeviceId {
  /** The bus that recognises the device, e.g. `vdev`, `pci`. */
  bus: string;
  /** The device's name on that bus, e.g. `net_null0`. */
  name: string;
}

/** A port, as {@linkcode listPorts} reports it. */
export interface PortEntry {
  /** Port ID. */
  id: number;
  /** The port's name (`rte_eth_dev_get_name_by_port`), e.g. `net_null0`. */
  name: string;
  /** Driver name, e.g. `net_null`. */
  driver: string;
  /** Name of the device the port belongs to (what detach takes). */
  device: string;
  /** The device's bus, e.g. `vdev`. */
  bus: string;
}

/** What {@linkcode attachDevice} attached. */
export interface AttachedDevice extends DeviceId {
  /** The device's ports in this process, right after the attach. */
  ports: PortEntry[];
}

/** Options of {@linkcode detachDevice}. */
export interface DetachOptions {
  /**
   * Detach even when a port of the device is started (default false:
   * refused with EBUSY). DPDK allows it, but a process of the group that
   * still polls the port then calls into a released device.
   */
  force?: boolean;
}

/**
 * A hotplug request refused before it reached DPDK, or refused by DPDK:
 * `errno` says which (`RTE.EEXIST` already attached, `RTE.ENOENT` not
 * attached, `RTE.EBUSY` a port is started, `RTE.EPERM` a PCI device while
 * EAL runs with `--no-pci`, else DPDK's own), `message` says it in words.
 */
export class HotplugError extends DpdkError {
  /** The device string or name the request was about. */
  readonly device: string;
  /**
   * An error about `device`, with its own message (not DPDK's text).
   *
   * @param device the device string or name
   * @param message what is wrong, in words
   * @param errno the errno value (either sign)
   */
  constructor(device: string, message: string, errno: number) {
    super(message, errno);
    this.message = message;
    this.name = "HotplugError";
    this.device = device;
  }
}

let sizes: { nameLen: number; devargsMax: number } | undefined;

/** The shim's buffer size for names and the longest device string. */
function limits(): { nameLen: number; devargsMax: number } {
  return sizes ??= {
    nameLen: fact("hotplug.name_len"),
    devargsMax: fact("hotplug.devargs_max"),
  };
}

/**
 * The longest device string, in bytes (UTF-8): the C hotplug_mp's limit
 * (cmdline's `STR_TOKEN_SIZE` - 2), within what EAL's hotplug message
 * carries to the other processes of a group.
 */
export function devargsMax(): number {
  return limits().devargsMax;
}

function requireEal(what: string): void {
  if (!ealInitialised()) {
    throw new Error(`${what}: EAL is not initialised (call initEal first)`);
  }
}

/**
 * The bus and device name of a device string, as EAL parses it
 * (`rte_devargs_parse`): `net_null0`, `net_ring0,nodeaction=...`,
 * `vdev:net_pcap0,rx_pcap=in.pcap`, `bus=vdev,name=net_null1`.
 *
 * @throws RangeError for an empty string or one longer than
 *   {@linkcode devargsMax} bytes
 * @throws HotplugError when no bus recognises the device (EAL logs why)
 */
export function parseDevargs(devargs: string): DeviceId {
  const { nameLen, devargsMax } = limits();
  const bytes = new TextEncoder().encode(devargs).length;
  if (devargs.trim() === "") {
    throw new RangeError("parseDevargs: empty device string");
  }
  if (bytes > devargsMax) {
    throw new RangeError(
      `parseDevargs: device string of ${bytes} bytes, at most ${devargsMax}`,
    );
  }
  const bus = new Uint8Array(nameLen);
  const name = new Uint8Array(nameLen);
  const ret = lib().shim_devargs_split(cbuf(devargs), bus, name);
  if (ret < 0) {
    throw new HotplugError(
      devargs,
      `no bus recognises the device '${devargs}'`,
      ret,
    );
  }
  return { bus: fromC(bus), name: fromC(name) };
}

function fromC(buf: Uint8Array): string {
  return cstr(Deno.UnsafePointer.of(buf as Uint8Array<ArrayBuffer>));
}

function toId(device: string | DeviceId): DeviceId {
  return typeof device === "string" ? parseDevargs(device) : device;
}

/** Whether a device (a device string, or bus and name) is attached here. */
export function deviceAttached(device: string | DeviceId): boolean {
  const { bus, name } = toId(device);
  return lib().shim_dev_attached(cbuf(bus), cbuf(name)) === 1;
}

/**
 * Every port in `RTE_ETH_FOREACH_DEV` order (valid ports owned by no one,
 * as the C samples list them), with its name, driver, device and bus.
 */
export function listPorts(): PortEntry[] {
  const s = lib();
  const max = RTE.RTE_MAX_ETHPORTS;
  const { nameLen } = limits();
  const bufs = [0, 1, 2, 3].map(() => new Uint8Array(nameLen));
  const out: PortEntry[] = [];
  for (
    let p = s.shim_eth_next_port(0);
    p < max;
    p = s.shim_eth_next_port(p + 1)
  ) {
    const [name, driver, device, bus] = bufs;
    // a port detached meanwhile (by another process) is skipped
    if (s.shim_eth_port_names(p, name, driver, device, bus) !== 0) continue;
    out.push({
      id: p,
      name: fromC(name),
      driver: fromC(driver),
      device: fromC(device),
      bus: fromC(bus),
    });
  }
  return out;
}

/** The ports of a device (a device string, or bus and name). */
export function devicePorts(device: string | DeviceId): PortEntry[] {
  const { bus, name } = toId(device);
  return listPorts().filter((p) => p.bus === bus && p.device === name);
}

/**
 * Whether a port is started, by any process of the group: ethdev's own
 * `dev_started`, read over the group's telemetry socket (DPDK 22.11 has no
 * other way to it); where telemetry cannot answer (`--no-telemetry`), the
 * port's link state (up exactly while started, for net_null, net_ring and
 * net_pcap). Undefined when the port does not exist.
 */
export function portStarted(port: number): boolean | undefined {
  const ret = lib().shim_eth_started(port);
  if (ret >= 0) return ret === 1;
  if (-ret === RTE.ENODEV) return undefined;
  try {
    return new Port(port).link().up;
  } catch {
    return undefined; // gone meanwhile
  }
}

/**
 * Attaches a device (`rte_dev_probe`) in every process of the group and
 * returns its ports here. From a secondary the primary does the attach
 * (its log says why a driver refused).
 *
 * @param devargs a device string: `net_null0`, `net_ring0`,
 *   `net_pcap0,rx_pcap=in.pcap,tx_pcap=out.pcap`, ...
 * @throws RangeError for an empty or too long device string
 * @throws HotplugError: no bus recognises it; `RTE.EEXIST` when it is
 *   attached already (DPDK itself reports success then); `RTE.EPERM` for a
 *   PCI device while EAL runs with `--no-pci`; else DPDK's errno
 */
export function attachDevice(devargs: string): AttachedDevice {
  requireEal("attachDevice");
  const id = parseDevargs(devargs);
  if (id.bus === "pci" && lib().shim_eal_has_pci() === 0) {
    throw new HotplugError(
      devargs,
      `${id.name} is a PCI device and EAL runs with --no-pci`,
      RTE.EPERM,
    );
  }
  if (deviceAttached(id)) {
    const ports = devicePorts(id).map((p) => p.id);
    throw new HotplugError(
      devargs,
      `${id.name} is attached already` +
        (ports.length > 0 ? ` (port ${ports.join(", ")})` : ""),
      RTE.EEXIST,
    );
  }
  const ret = lib().rte_dev_probe(cbuf(devargs));
  if (ret < 0) {
    throw new HotplugError(
      devargs,
      `rte_dev_probe("${devargs}") failed: ${strerror(ret)} (errno ${-ret}); ` +
        (processType() === "secondary"
          ? "the primary attaches for the group: its EAL log says why"
          : "EAL's log says why"),
      ret,
    );
  }
  return { ...id, ports: devicePorts(id) };
}

/**
 * Detaches a device (`rte_eal_hotplug_remove`) from every process of the
 * group: its ports are closed and released everywhere.
 *
 * @param device a device string (only its bus and name count:
 *   `net_pcap0,rx_pcap=x` detaches `net_pcap0`), or bus and name
 * @throws RangeError for an empty or too long device string
 * @throws HotplugError: no bus recognises it; `RTE.ENOENT` when it is not
 *   attached; `RTE.EBUSY` when one of its ports is started (see
 *   {@linkcode DetachOptions.force}); else DPDK's errno
 */
export function detachDevice(
  device: string | DeviceId,
  { force = false }: DetachOptions = {},
): void {
  requireEal("detachDevice");
  const id = toId(device);
  const label = typeof device === "string" ? device : id.name;
  if (!deviceAttached(id)) {
    throw new HotplugError(label, `${id.name} is not attached`, RTE.ENOENT);
  }
  if (!force) {
    const started = devicePorts(id).filter((p) => portStarted(p.id));
    if (started.length > 0) {
      throw new HotplugError(
        label,
        `port ${started.map((p) => p.id).join(", ")} of ${id.name} is ` +
          "started: the process using it must stop it first",
        RTE.EBUSY,
      );
    }
  }
  const ret = lib().rte_eal_hotplug_remove(cbuf(id.bus), cbuf(id.name));
  if (ret < 0) {
    throw new HotplugError(
      label,
      `rte_eal_hotplug_remove("${id.bus}", "${id.name}") failed: ` +
        `${strerror(ret)} (errno ${-ret})`,
      ret,
    );
  }
}
