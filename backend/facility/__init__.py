"""The facility: sites, areas, rooms, boards, circuits, gateways and devices (``crud``,
``operations``, ``sites``), the topology tree (``topology``) and the facility file's import
and export (``transfer``, ``transfer_engine``, ``transfer_yaml``)."""
