"""GetCapabilities ``sections``: every requested section, in CSW 2.0.2 and 3.0.0.

pycsw 2.6.2 writes CSW 3.0 Filter_Capabilities (and Languages) only for
``sections=All`` or no sections, so ``sections=Filter_Capabilities`` is an empty
document; in CSW 2.0.2 ``sections=All`` returns Filter_Capabilities alone.  HubCat
asks pycsw for the whole document and keeps the sections requested (``All``:
every one; CSW 2.0.2 always keeps ``ogc:Filter_Capabilities``, which its schema
requires).
"""
from __future__ import annotations

from typing import Optional

from lxml import etree

OWS_NAMESPACES = ('http://www.opengis.net/ows', 'http://www.opengis.net/ows/1.1',
                  'http://www.opengis.net/ows/2.0')


def requested_sections(csw_request) -> Optional[list[str]]:
    """The section names a GetCapabilities names (KVP ``sections`` or POST ``ows:Sections``);
    None when it names none."""
    if csw_request.method == 'GET':
        text = csw_request.kvp.get('sections', '').strip()
        return [s.strip() for s in text.split(',') if s.strip()] or None
    root = csw_request.xml_root
    if root is None:
        return None
    names = [s.text.strip() for s in root.iter('{*}Section') if s.text and s.text.strip()]
    return names or None


def _without_sections(csw_request):
    """The same request asking for the whole document (a copy; ``csw_request`` is kept)."""
    import copy
    whole = copy.copy(csw_request)
    if csw_request.method == 'GET':
        whole.kvp = {k: v for k, v in csw_request.kvp.items() if k != 'sections'}
        return whole
    root = copy.deepcopy(csw_request.xml_root)
    for sections in list(root.iter('{*}Sections')):
        sections.getparent().remove(sections)
    whole.__dict__['xml_root'] = root
    whole.refresh_body()
    return whole


def keep_sections(content: bytes, sections: list[str], version: str) -> bytes:
    """The capabilities document with only the requested sections (see module docstring)."""
    root = etree.fromstring(content)
    if etree.QName(root).localname != 'Capabilities' or 'All' in sections:
        return content
    keep = set(sections) | ({'Filter_Capabilities'} if version == '2.0.2' else set())
    for child in list(root):
        if isinstance(child.tag, str) and etree.QName(child).localname not in keep:
            root.remove(child)
    return etree.tostring(root, xml_declaration=True, encoding='UTF-8', pretty_print=True)


def capabilities_sections_hook(config, csw_request, flask_request) -> Optional[tuple]:
    """Answer a GetCapabilities that names sections (the whole document from pycsw, pruned)."""
    from hubcat.csw import run_pycsw
    if csw_request.operation != 'GetCapabilities' or csw_request.kvp.get('mode'):
        return None
    sections = requested_sections(csw_request)
    if not sections:
        return None
    status, content_type, content = run_pycsw(config, flask_request.environ,
                                              _without_sections(csw_request),
                                              flask_request.base_url)
    try:
        content = keep_sections(content, sections, csw_request.version)
    except etree.XMLSyntaxError:
        pass
    return status, content_type, content
