"""Mark which peer a federated record came from (returns a tagged copy; the input is untouched).

* Dublin Core (``csw:Record``, ``csw:SummaryRecord``, ``csw:BriefRecord``, 2.0.2 and 3.0):
  ``<dc:source scheme="urn:hubcat:def:peer">NAME</dc:source>``, placed before the
  bounding boxes (where ``csw:Record`` allows DC elements).  ``dc:source`` is the
  one DC element meaning "the resource this description is derived from"; the
  ``scheme`` tells it apart from a ``dc:source`` the record already had.
* ISO 19139 (``gmd:MD_Metadata``): ISO has no element for "the catalogue this
  record was found in", so a foreign element is appended as the last child,
  as GeoNetwork does with ``geonet:info``:
  ``<hubcat:peer xmlns:hubcat="urn:hubcat" name="NAME" url="URL"/>``.
  Clients that read ISO (OWSLib, QGIS MetaSearch) ignore it; a strict XML
  Schema validation of the record does not.
* ebRIM (any ``rim:*`` registry object): two Slots, first among the object's
  Slots: ``urn:hubcat:slot:peer`` (the name) and ``urn:hubcat:slot:peerUrl``.

A record that crossed several federators carries one mark per hop, nearest
first: the first mark names the peer of the catalogue that answered, the next
ones the peers further down, as each federator named them.

Peer names are mapped to their URLs in every response's peer report (the
``X-HubCat-Peers`` header names; the XML comment and ``/api/peers`` give URLs).
"""
from __future__ import annotations

import copy
import logging
from typing import Optional

from lxml import etree

from hubcat.federation.record_values import (DC, DUBLIN_CORE, EBRIM, ISO, OWS, OWS20, RIM, schema_of)

LOGGER = logging.getLogger(__name__)

PEER_SCHEME = 'urn:hubcat:def:peer'
PEER_SLOT = 'urn:hubcat:slot:peer'
PEER_URL_SLOT = 'urn:hubcat:slot:peerUrl'
HUBCAT_NS = 'urn:hubcat'
_STRING = 'urn:oasis:names:tc:ebxml-regrep:DataType:String'


def tag_record(record: etree._Element, name: str, url: str) -> etree._Element:
    """A copy of ``record`` that says it came from peer ``name`` at ``url``."""
    tagged = copy.deepcopy(record)
    kind = schema_of(tagged)
    if kind == DUBLIN_CORE:
        _tag_dc(tagged, name)
    elif kind == ISO:
        mark = etree.Element(f'{{{HUBCAT_NS}}}peer', nsmap={'hubcat': HUBCAT_NS},
                             name=name, url=url)
        earlier = tagged.find(f'{{{HUBCAT_NS}}}peer')
        if earlier is not None:
            earlier.addprevious(mark)
        else:
            tagged.append(mark)
    elif kind == EBRIM:
        _tag_ebrim(tagged, name, url)
    else:
        LOGGER.debug('record %s of unknown schema left untagged', tagged.tag)
    return tagged


def peer_of(record: etree._Element) -> Optional[str]:
    """The peer name a tagged record carries, or None (reads what :func:`tag_record` wrote)."""
    kind = schema_of(record)
    if kind == DUBLIN_CORE:
        for el in record.findall(f'{{{DC}}}source'):
            if el.get('scheme') == PEER_SCHEME:
                return el.text
    elif kind == ISO:
        el = record.find(f'{{{HUBCAT_NS}}}peer')
        return el.get('name') if el is not None else None
    elif kind == EBRIM:
        for slot in record.findall(f'{{{RIM}}}Slot'):
            if slot.get('name') == PEER_SLOT:
                return slot.findtext(f'{{{RIM}}}ValueList/{{{RIM}}}Value')
    return None


def _tag_dc(record: etree._Element, name: str) -> None:
    source = etree.Element(f'{{{DC}}}source', scheme=PEER_SCHEME)
    source.text = name
    earlier = [i for i, child in enumerate(record)
               if child.tag == f'{{{DC}}}source' and child.get('scheme') == PEER_SCHEME]
    boxes = [i for i, child in enumerate(record)
             if isinstance(child.tag, str) and etree.QName(child).namespace in (OWS, OWS20)]
    if earlier:
        record.insert(earlier[0], source)
    elif boxes:
        record.insert(boxes[0], source)
    else:
        record.append(source)
    previous = source.getprevious()
    if previous is not None:  # keep the indentation of pretty-printed records
        source.tail, previous.tail = previous.tail, previous.tail


def _tag_ebrim(record: etree._Element, name: str, url: str) -> None:
    position = 0
    for child in record:
        if child.tag == f'{{{RIM}}}Slot' and child.get('name') == PEER_SLOT:
            break  # before the marks of federators further down
        if child.tag == f'{{{RIM}}}Slot':
            position += 1
        elif isinstance(child.tag, str):
            break
        else:
            position += 1  # comments before the first content element
    for slot_name, value in ((PEER_URL_SLOT, url), (PEER_SLOT, name)):
        slot = etree.Element(f'{{{RIM}}}Slot', name=slot_name, slotType=_STRING)
        etree.SubElement(etree.SubElement(slot, f'{{{RIM}}}ValueList'),
                         f'{{{RIM}}}Value').text = value
        record.insert(position, slot)
