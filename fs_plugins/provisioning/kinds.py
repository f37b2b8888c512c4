"""Phone provisioning's words: the vendors whose files Centralita writes, and the file each asks for.

The file names are those the phones request from their provisioning server path, as the open
source provisioning server Wazo provd (wazo-platform/wazo-provd-plugins) serves them: Yealink
`<mac>.cfg`, Snom `<MAC>.xml`, Grandstream `cfg<mac>.xml`, Cisco SPA/MPP `spa<mac>.xml` (the
profile rule `/spa$MA.xml` the phone is given), Fanvil `<mac>.cfg` (an XML `<sysConf>`; Wazo's
wazo_fanvil plugin, `base-new.tpl` of the X-series: X4U…X7, X210).
"""

VENDORS = ("yealink", "snom", "grandstream", "cisco", "fanvil")
MAX_BLF_KEYS = 10
