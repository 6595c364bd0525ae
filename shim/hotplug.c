/* SPDX-License-Identifier: BSD-3-Clause
 *
 * hotplug: what attaching and detaching devices needs besides the EAL
 * functions the symbol table calls directly (rte_dev_probe,
 * rte_eal_hotplug_remove, which EAL synchronises across the processes of a
 * group): parsing a device string into its bus and device name, finding
 * whether a device is attached, the ports in RTE_ETH_FOREACH_DEV order with
 * their device and bus, and whether a port is started.
 *
 * ethdev keeps "started" in memory every process of the group shares, but
 * DPDK 22.11 exports no getter for it (ethdev_driver.h is not installed and
 * the drivers we use have no rxq_info_get), so it is read from ethdev's own
 * telemetry command `/ethdev/info,N` on the group's telemetry socket.
 */
#define _GNU_SOURCE
#define ALLOW_EXPERIMENTAL_API /* rte_devargs_reset */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmdline_parse_string.h>
#include <rte_bus.h>
#include <rte_dev.h>
#include <rte_devargs.h>
#include <rte_eal.h>
#include <rte_ethdev.h>

#include "shim.h"

/* Size of every name buffer below (device, bus, driver), NUL included. */
#define HOTPLUG_NAME_LEN RTE_DEV_NAME_MAX_LEN
/* Telemetry: the socket's name in the runtime folder, the reply's size. */
#define TELEMETRY_SOCKET "dpdk_telemetry.v2"
#define TELEMETRY_REPLY_MAX 16384
#define TELEMETRY_TIMEOUT_MS 2000

static const struct shim_fact hotplug_facts[] = {
	SHIM_FACT("hotplug.name_len", HOTPLUG_NAME_LEN),
	/*
	 * The longest device string the C sample takes: cmdline refuses a
	 * string token of STR_TOKEN_SIZE - 1 bytes or more (checked: 126
	 * bytes pass, 127 are "Bad arguments"). EAL's hotplug message carries
	 * a little more (127) to the other processes.
	 */
	SHIM_FACT("hotplug.devargs_max", STR_TOKEN_SIZE - 2),
};
SHIM_REGISTER_FACTS(hotplug_facts);

static void copy_name(char *out, const char *s)
{
	snprintf(out, HOTPLUG_NAME_LEN, "%s", s == NULL ? "" : s);
}

/**
 * Parses a device string (`net_null0,k=v`, `vdev:net_ring0`,
 * `bus=vdev,name=x`) as rte_devargs_parse does: the bus that recognises it
 * into `bus`, the device name into `name` (HOTPLUG_NAME_LEN each). Returns
 * 0, or -errno when no bus recognises it (EAL logs why).
 */
int shim_devargs_split(const char *devargs, char *bus, char *name)
{
	struct rte_devargs da;
	int ret;

	memset(&da, 0, sizeof(da));
	ret = rte_devargs_parse(&da, devargs);
	if (ret != 0)
		return ret < 0 ? ret : -EINVAL;
	copy_name(bus, da.bus == NULL ? NULL : rte_bus_name(da.bus));
	copy_name(name, da.name);
	rte_devargs_reset(&da);
	return 0;
}

/** The device `name` on bus `bus` in this process, or NULL. */
static struct rte_device *find_device(const char *bus, const char *name)
{
	char filter[HOTPLUG_NAME_LEN + 8];
	struct rte_dev_iterator it;
	struct rte_device *dev;

	snprintf(filter, sizeof(filter), "bus=%s", bus);
	RTE_DEV_FOREACH(dev, filter, &it) {
		if (strcmp(rte_dev_name(dev), name) == 0)
			return dev;
	}
	return NULL;
}

/**
 * Whether device `name` of bus `bus` is attached (probed by a driver) in
 * this process: 1 or 0.
 */
int shim_dev_attached(const char *bus, const char *name)
{
	struct rte_device *dev = find_device(bus, name);

	return dev != NULL && rte_dev_is_probed(dev) ? 1 : 0;
}

/** Whether EAL scans the PCI bus (0 after --no-pci). */
int shim_eal_has_pci(void)
{
	return rte_eal_has_pci();
}

/**
 * The first port at or after `from` in RTE_ETH_FOREACH_DEV order (valid and
 * owned by no one), or RTE_MAX_ETHPORTS when there is none.
 */
uint32_t shim_eth_next_port(uint32_t from)
{
	if (from >= RTE_MAX_ETHPORTS)
		return RTE_MAX_ETHPORTS;
	return (uint32_t)rte_eth_find_next_owned_by((uint16_t)from,
						     RTE_ETH_DEV_NO_OWNER);
}

/**
 * A port's names (HOTPLUG_NAME_LEN each): `name` (the port's), `driver`,
 * `device` (the device it belongs to, which detach takes) and `bus`.
 * Returns 0 or -errno.
 */
int shim_eth_port_names(uint16_t port, char *name, char *driver,
			char *device, char *bus)
{
	struct rte_eth_dev_info info;
	char port_name[RTE_ETH_NAME_MAX_LEN];
	int ret = rte_eth_dev_get_name_by_port(port, port_name);

	if (ret != 0)
		return ret;
	ret = rte_eth_dev_info_get(port, &info);
	if (ret != 0)
		return ret;
	copy_name(name, port_name);
	copy_name(driver, info.driver_name);
	copy_name(device, info.device == NULL ? NULL : rte_dev_name(info.device));
	copy_name(bus, info.device == NULL ? NULL :
		  rte_bus_name(rte_dev_bus(info.device)));
	return 0;
}

/* Receives one telemetry message into buf (NUL-terminated); -errno. */
static int telemetry_recv(int fd, char *buf, size_t size)
{
	ssize_t n = recv(fd, buf, size - 1, 0);

	if (n < 0)
		return -errno;
	if (n == 0)
		return -ECONNRESET; /* refused: too many clients */
	buf[n] = '\0';
	return 0;
}

/**
 * Whether port `port` is started, as ethdev reports it on the group's
 * telemetry socket (`/ethdev/info,N`, field `dev_started`), so from any
 * process of the group. Returns 1 (started), 0 (stopped), or -errno:
 * -ENODEV no such port, -ENOENT/-ECONNREFUSED no telemetry socket
 * (--no-telemetry), -EPROTO a reply without the field, or the socket's error.
 */
int shim_eth_started(uint16_t port)
{
	static const struct timeval tv = {
		.tv_sec = TELEMETRY_TIMEOUT_MS / 1000,
		.tv_usec = (TELEMETRY_TIMEOUT_MS % 1000) * 1000,
	};
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char cmd[32];
	char *buf, *at;
	int fd, ret;

	if (snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/%s",
		     rte_eal_get_runtime_dir(), TELEMETRY_SOCKET) >=
	    (int)sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	buf = malloc(TELEMETRY_REPLY_MAX);
	if (buf == NULL) {
		close(fd);
		return -ENOMEM;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		ret = -errno;
		goto out;
	}
	ret = telemetry_recv(fd, buf, TELEMETRY_REPLY_MAX); /* the greeting */
	if (ret != 0)
		goto out;
	snprintf(cmd, sizeof(cmd), "/ethdev/info,%u", port);
	if (send(fd, cmd, strlen(cmd), 0) < 0) {
		ret = -errno;
		goto out;
	}
	ret = telemetry_recv(fd, buf, TELEMETRY_REPLY_MAX);
	if (ret != 0)
		goto out;
	if (strstr(buf, "\"/ethdev/info\":null") != NULL) {
		ret = -ENODEV;
		goto out;
	}
	at = strstr(buf, "\"dev_started\":");
	if (at == NULL) {
		ret = -EPROTO;
		goto out;
	}
	at += strlen("\"dev_started\":");
	ret = *at == '0' ? 0 : *at >= '1' && *at <= '9' ? 1 : -EPROTO;
out:
	free(buf);
	close(fd);
	return ret;
}
