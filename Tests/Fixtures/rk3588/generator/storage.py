"""Storage health: the eMMC and SD card on the MMC bus, ext4 error records and the mount table.

The board boots from its eMMC (root file system on `mmcblk0p2`) and has an SD card whose ext4 data
partition hit errors and was remounted read-only by `errors=remount-ro`. The same storage is written
to every variant, because these files do not differ between the kernel families.
"""

# RK3588 SDHCI (eMMC) and SDMMC (SD slot) controllers, named after their register addresses. The
# mainline device tree aliases them mmc0 and mmc1, and the vendor trees are taken to do the same.
EMMC_HOST = "sys/devices/platform/fe2e0000.mmc/mmc_host/mmc0"
SD_HOST = "sys/devices/platform/fe2c0000.mmc/mmc_host/mmc1"

# btime in /proc/stat is 1718000000; the card's errors happened after that boot.
SD_FIRST_ERROR_TIME = 1718003600
SD_LAST_ERROR_TIME = 1718012345

# The MMC core's per-host error counts in debugfs (`mmcN/err_stats`, drivers/mmc/core/debugfs.c),
# printed as "# <description>:\t %d". The file was added in 2022, so the vendor 5.10 kernel is
# taken to lack it. The counts are placeholders: the eMMC host counted a few data CRC errors and
# a request timeout, and the SD host counted nothing.
MMC_ERROR_DESCRIPTIONS = (
    "Command Timeout Occurred", "Command CRC Errors Occurred", "Data Timeout Occurred", "Data CRC Errors Occurred",
    "Auto-Cmd Error Occurred", "ADMA Error Occurred", "Tuning Error Occurred", "CMDQ RED Errors", "CMDQ GCE Errors",
    "CMDQ ICCE Errors", "Request Timedout", "CMDQ Request Timedout", "ICE Config Errors",
    "Controller Timedout errors", "Unexpected IRQ errors",
)
EMMC_ERROR_COUNTS = {"Data CRC Errors Occurred": 3, "Request Timedout": 1}

MOUNTINFO = (
    "21 1 179:2 / / rw,noatime shared:1 - ext4 /dev/mmcblk0p2 rw,commit=600,errors=remount-ro\n"
    "22 21 0:20 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw\n"
    "23 21 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw\n"
    "24 21 0:5 / /dev rw,nosuid,relatime shared:2 - devtmpfs udev rw,size=7924140k,nr_inodes=1981035,mode=755\n"
    "25 21 0:24 / /run rw,nosuid,nodev,noexec,relatime shared:5 - tmpfs tmpfs rw,size=1610912k,mode=755\n"
    "26 21 179:1 / /boot rw,noatime shared:13 - vfat /dev/mmcblk0p1 rw,fmask=0022,dmask=0022,codepage=437\n"
    "41 21 179:97 / /mnt/sdcard rw,noatime shared:26 - ext4 /dev/mmcblk1p1 ro,errors=remount-ro\n"
)


def write_storage(tree, variant):
    """Write the same cards, ext4 records and mounts on every kernel family, and `err_stats` where it exists."""
    write_mmc_card(tree, EMMC_HOST, "mmc0:0001", "mmcblk0", {
        "type": "MMC", "name": "A3A564", "manfid": "0x0000d6", "oemid": "0x2903", "date": "10/2023",
        "serial": "0x6f0b2a91", "life_time": "0x01 0x02", "pre_eol_info": "0x02",
    })
    write_mmc_card(tree, SD_HOST, "mmc1:aaaa", "mmcblk1", {
        "type": "SD", "name": "SN64G", "manfid": "0x000003", "oemid": "0x5344", "date": "03/2022",
        "serial": "0x8a3c21f0",
    })
    if not variant.kernel.startswith("5.10"):
        write_mmc_error_stats(tree, "mmc0", EMMC_ERROR_COUNTS)
        write_mmc_error_stats(tree, "mmc1", {})
    write_ext4(tree, "mmcblk0p2", errors=0, first_error=0, last_error=0)
    write_ext4(tree, "mmcblk1p1", errors=4, first_error=SD_FIRST_ERROR_TIME, last_error=SD_LAST_ERROR_TIME)
    tree.attr("sys/fs/ext4/features/metadata_csum_seed", "supported")
    tree.text("proc/1/mountinfo", MOUNTINFO)


def write_mmc_card(tree, host, card, disk, attributes):
    """Write a card, its bus link and its block device; only eMMC has `life_time` and `pre_eol_info`."""
    device = f"{host}/{card}"
    tree.attrs(device, attributes)
    tree.link(f"sys/bus/mmc/devices/{card}", device)

    block = f"{device}/block/{disk}"
    tree.attrs(block, {"ro": 0, "removable": 0 if attributes["type"] == "MMC" else 1})
    tree.link(f"{block}/device", device)
    tree.link(f"sys/block/{disk}", block)


def write_ext4(tree, device, errors, first_error, last_error):
    tree.attrs(f"sys/fs/ext4/{device}", {
        "errors_count": errors, "first_error_time": first_error, "last_error_time": last_error,
    })


def write_mmc_error_stats(tree, host, counts):
    lines = (f"# {description}:\t {counts.get(description, 0)}\n" for description in MMC_ERROR_DESCRIPTIONS)
    tree.text(f"sys/kernel/debug/{host}/err_stats", "".join(lines))
