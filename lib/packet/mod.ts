/**
 * Packets for experiments: addresses, header views, checksums (bit-exact
 * with DPDK's), frame builders and templates, a tcpdump-style summary and
 * hex dump, pcap/pcapng files, and TX checksum offload with a software
 * fallback, and capturing bursts of mbufs into files. Everything but
 * `offload.ts` and `capture.ts` is pure TypeScript (no shim).
 *
 * @module
 */

export {
  formatIpv4,
  formatIpv6,
  formatMac,
  Ipv4Addr,
  Ipv6Addr,
  MacAddr,
} from "./addr.ts";
export {
  ARP_OP,
  ArpView,
  dataViewOf,
  EthernetView,
  ETHERTYPE,
  HeaderView,
  ICMP_TYPE,
  ICMPV6_TYPE,
  Icmpv6View,
  IcmpView,
  IPPROTO,
  Ipv4View,
  Ipv6View,
  PacketLayers,
  TCP_FLAGS,
  TcpView,
  UdpView,
} from "./headers.ts";
export {
  checksumAdjust,
  checksumAdjust32,
  foldSum,
  icmpChecksum,
  icmpv6Checksum,
  internetChecksum,
  ipv4Checksum,
  ipv4ChecksumValid,
  ipv4L4Checksum,
  ipv4PseudoHeaderSum,
  ipv6L4Checksum,
  ipv6PseudoHeaderSum,
  l4Checksum,
  onesSum,
  rawChecksum,
  tcpChecksum,
  udpChecksum,
} from "./checksum.ts";
export {
  arpFrame,
  type ArpSpec,
  type EthernetSpec,
  fillChecksums,
  icmpFrame,
  type IcmpSpec,
  icmpv6Frame,
  type IpSpec,
  PacketTemplate,
  type PayloadSpec,
  tcpFlags,
  tcpFrame,
  type TcpSpec,
  TemplateField,
  type TemplateFieldName,
  udpFrame,
  type UdpSpec,
  type VlanSpec,
} from "./build.ts";
export {
  Dissector,
  hexDump,
  summarize,
  type SummaryOptions,
  tcpFlagString,
} from "./dissect.ts";
export {
  type CaptureFormat,
  PcapFormatError,
  PcapReader,
  type PcapReaderOptions,
  type PcapRecord,
  type PcapSink,
  type PcapSource,
  PcapWriter,
  type PcapWriterOptions,
  readPcap,
} from "./pcap.ts";
export { type CaptureOptions, PacketCapture } from "./capture.ts";
export {
  type ChecksumOffloadOptions,
  ETH_OFFLOAD,
  type FlagBits,
  flagBits,
  MBUF_FIELDS,
  MBUF_FLAGS,
  MbufMetaView,
  mbufTimestampOffset,
  PTYPE,
  registerMbufTimestamp,
  TxChecksumOffload,
} from "./offload.ts";
