/* HubCat's map page: sensors from /records (OGC API - Records), clustered, coloured by status. */
'use strict';
(function () {
  const ITEMS = '/records/collections/sensors/items';
  const MARKER_TYPES = 'thing,datastream,offering,procedure';  // one marker per Thing, offering, procedure
  const PAGE = 20, MAX_MARKERS = 5000;
  const body = document.body;
  const map = L.map('map', {maxZoom: 19}).setView([47, 8], 4);
  // a popup never outgrows the map: a Thing with many Datastreams scrolls inside it
  const POPUP = {maxWidth: 360, maxHeight: 420};
  if (body.dataset.tiles) {
    L.tileLayer(body.dataset.tiles, {maxZoom: 19, attribution: '&copy; OpenStreetMap contributors'}).addTo(map);
  }
  // a cluster shows the status of what it holds: green all online, red all offline, amber mixed,
  // and says why in its title (the reasons of its offline sensors)
  const cluster = L.markerClusterGroup({iconCreateFunction: c => {
    const children = c.getAllChildMarkers();
    const offline = children.filter(m => m.options.status === 'offline');
    const state = offline.length === 0 ? 'online' : offline.length === children.length ? 'offline' : 'mixed';
    const size = children.length < 10 ? 'small' : children.length < 100 ? 'medium' : 'large';
    const title = children.length + ' sensors' + (offline.length ? ', ' + offline.length + ' offline ' +
      reasonText(offline.map(m => m.options.reason)) : ', all online');
    return L.divIcon({html: '<div title="' + text(title) + '"><span>' + children.length + '</span></div>',
      className: 'marker-cluster marker-cluster-' + size + ' cluster-' + state, iconSize: L.point(40, 40)});
  }});
  map.addLayer(cluster);
  const markers = new Map();   // sensor key -> marker
  let sensorGroups = new Map();   // sensor key -> the records it shows
  let offset = 0, generation = 0, fitted = false;

  function filters() {
    const params = new URLSearchParams();
    for (const name of ['q', 'observedProperty', 'status', 'serviceType']) {
      const value = document.getElementById(name).value.trim();
      if (value) params.set(name, value);
    }
    if (document.getElementById('extent').checked) {
      const b = map.getBounds();
      const clamp = (v, lim) => Math.max(-lim, Math.min(lim, v));
      params.set('bbox', [clamp(b.getWest(), 180), clamp(b.getSouth(), 90),
                          clamp(b.getEast(), 180), clamp(b.getNorth(), 90)].map(v => v.toFixed(5)).join(','));
    }
    return params;
  }

  function reasonText(reasons) {
    // '(stale)' or '(stale 3, unreachable 1)'
    const counts = new Map();
    for (const r of reasons) counts.set(r || 'unknown', (counts.get(r || 'unknown') || 0) + 1);
    if (counts.size === 1) return '(' + [...counts.keys()][0] + ')';
    return '(' + [...counts].map(([r, n]) => r + ' ' + n).join(', ') + ')';
  }

  function text(value) {
    const span = document.createElement('span');
    span.textContent = value == null ? '' : String(value);
    return span.innerHTML;
  }

  function popup(feature) {
    const p = feature.properties;
    const rows = [['type', p.type], ['observed property', (p.observedProperty || []).join(', ')],
                  ['unit', p.unit], ['last seen', p.lastSeen],
                  ['status', (p.status || '') + (p.statusReason ? ' (' + p.statusReason + ')' : '')],
                  ['service', p.serviceType]];
    const links = feature.links.filter(l => l.rel === 'related' || l.rel === 'item')
      .map(l => '<li><a target="_blank" href="' + text(l.href) + '">' + text(l.title || l.href) + '</a></li>');
    const self = feature.links.find(l => l.rel === 'alternate' && l.type === 'text/html');
    return '<div class="popup"><strong>' + text(p.title) + '</strong><table>' +
      rows.filter(r => r[1]).map(r => '<tr><th>' + r[0] + '</th><td class="' +
        (r[0] === 'status' ? text(p.status) : '') + '">' + text(r[1]) + '</td></tr>').join('') +
      '</table><ul>' + (self ? '<li><a target="_blank" href="' + text(self.href) + '">the record</a></li>' : '') +
      links.join('') + '</ul></div>';
  }

  function point(feature) {
    const g = feature.geometry;
    if (!g) return null;
    if (g.type === 'Point') return [g.coordinates[1], g.coordinates[0]];
    const ring = g.coordinates[0];
    return [(ring[0][1] + ring[2][1]) / 2, (ring[0][0] + ring[2][0]) / 2];
  }

  async function fetchJson(url) {
    const answer = await fetch(url, {headers: {Accept: 'application/geo+json'}});
    const data = await answer.json();
    if (!answer.ok) throw new Error(data.description || data.error || answer.statusText);
    return data;
  }

  function sensorKey(feature) {
    // a Datastream is shown by its Thing's marker; Things, offerings and procedures are their own
    return feature.properties.type === 'datastream' && feature.properties.thingIdentifier
      ? feature.properties.thingIdentifier : feature.id;
  }

  function groupPopup(group) {
    const head = group.find(f => f.id === sensorKey(f)) || group[0];
    const streams = group.filter(f => f !== head);
    let html = popup(head);
    if (streams.length) {
      html += '<p>' + streams.length + ' matching Datastreams:</p><ul class="streams">' + streams.map(f => {
        const p = f.properties;
        const page = f.links.find(l => l.rel === 'alternate' && l.type === 'text/html');
        const data = f.links.find(l => l.rel === 'related' && l.title === 'Observations');
        return '<li><a target="_blank" href="' + text(page ? page.href : '#') + '">' + text(p.title) + '</a> ' +
          text((p.observedProperty || []).join(', ')) + (p.unit ? ' [' + text(p.unit) + ']' : '') +
          ' <span class="' + text(p.status) + '">' + text(p.status) +
          (p.statusReason ? ' (' + text(p.statusReason) + ')' : '') + '</span>' +
          (data ? ' <a target="_blank" class="observations" href="' + text(data.href) + '">Observations</a>' : '') +
          '</li>';
      }).join('') + '</ul>';
    }
    return html;
  }

  async function loadMarkers(params, mine) {
    const query = new URLSearchParams(params);
    query.set('type', MARKER_TYPES);
    query.set('limit', '100');
    const groups = new Map();   // sensor key -> features
    let url = ITEMS + '?' + query, count = 0;
    while (url && count < MAX_MARKERS && mine === generation) {
      const page = await fetchJson(url);
      for (const feature of page.features) {
        count += 1;
        if (!point(feature)) continue;
        const key = sensorKey(feature);
        if (!groups.has(key)) groups.set(key, []);
        groups.get(key).push(feature);
      }
      const next = page.links.find(l => l.rel === 'next');
      url = next ? next.href : null;
    }
    if (mine !== generation) return;
    sensorGroups = groups;
    cluster.clearLayers();
    markers.clear();
    const layer = [];
    const tally = {online: 0, offline: 0, reasons: []};
    for (const [key, group] of groups) {
      const online = group.some(f => f.properties.status !== 'offline');
      const reason = online ? '' : (group[0].properties.statusReason || '');
      tally[online ? 'online' : 'offline'] += 1;
      if (!online) tally.reasons.push(reason);
      const marker = L.circleMarker(point(group[0]), {
        radius: 7, weight: 2, color: online ? '#1a7f37' : '#b42318', fillOpacity: 0.7,
        status: online ? 'online' : 'offline', reason: reason,
        className: 'sensor ' + (online ? 'online' : 'offline')});
      marker.bindTooltip(text(group[0].properties.title) + ': ' + (online ? 'online' : 'offline ' + reasonText([reason])));
      marker.bindPopup(() => groupPopup(group), POPUP);
      markers.set(key, marker);
      layer.push(marker);
    }
    cluster.addLayers(layer);
    body.dataset.markers = String(markers.size);
    document.getElementById('legend').innerHTML =
      '<span class="online">&#9679; ' + tally.online + ' online</span> &nbsp; <span class="offline">&#9679; ' +
      tally.offline + ' offline' + (tally.offline ? ' ' + text(reasonText(tally.reasons)) : '') + '</span>';
    if (!fitted && markers.size) {
      map.fitBounds(cluster.getBounds(), {maxZoom: 12});
      fitted = true;
    }
  }

  async function loadList(params, mine) {
    const query = new URLSearchParams(params);
    query.set('limit', String(PAGE));
    if (offset) query.set('offset', String(offset));
    const page = await fetchJson(ITEMS + '?' + query);
    if (mine !== generation) return;
    const list = document.getElementById('list');
    list.innerHTML = '';
    list.start = offset + 1;
    for (const feature of page.features) {
      const p = feature.properties;
      const item = document.createElement('li');
      item.dataset.id = feature.id;
      item.innerHTML = text(p.title) + ' <small>' + text(p.type) + ', <span class="' + text(p.status) + '">' +
        text(p.status || '') + '</span></small>';
      item.addEventListener('click', () => openFeature(feature));
      list.appendChild(item);
    }
    document.getElementById('summary').textContent =
      page.numberMatched + ' sensor records match; showing ' + (page.numberReturned ? offset + 1 : 0) +
      '-' + (offset + page.numberReturned);
    document.getElementById('prev').disabled = offset === 0;
    document.getElementById('next').disabled = !page.links.some(l => l.rel === 'next');
    body.dataset.listed = String(page.numberReturned);
    body.dataset.matched = String(page.numberMatched);
  }

  function openFeature(feature) {
    const at = point(feature);
    if (!at) return;
    const group = sensorGroups.get(sensorKey(feature)) || [feature];
    map.setView(at, Math.max(map.getZoom(), 12), {animate: false});
    L.popup(POPUP).setLatLng(at).setContent(groupPopup(group)).openOn(map);
  }

  async function refresh(resetOffset) {
    if (resetOffset) offset = 0;
    const mine = ++generation;
    body.dataset.state = 'loading';
    const params = filters();
    document.getElementById('context').href = '/api/context?' + params;
    document.getElementById('records').href = ITEMS + '?' + params + '&f=html';
    try {
      await Promise.all([loadMarkers(params, mine), loadList(params, mine)]);
      if (mine === generation) body.dataset.state = 'ready';
    } catch (err) {
      document.getElementById('summary').textContent = 'Search failed: ' + err.message;
      body.dataset.state = 'error';
    }
  }

  async function loadVocabulary() {
    try {
      const answer = await fetchJson('/map/vocabulary');
      const select = document.getElementById('observedProperty');
      for (const label of answer.observedProperties) {
        const option = document.createElement('option');
        option.value = option.textContent = label;
        select.appendChild(option);
      }
    } catch (err) { /* the search works without the list */ }
  }

  document.getElementById('search').addEventListener('submit', ev => { ev.preventDefault(); refresh(true); });
  for (const id of ['observedProperty', 'status', 'serviceType', 'extent']) {
    document.getElementById(id).addEventListener('change', () => refresh(true));
  }
  document.getElementById('prev').addEventListener('click', () => { offset = Math.max(0, offset - PAGE); refresh(false); });
  document.getElementById('next').addEventListener('click', () => { offset += PAGE; refresh(false); });
  map.on('moveend', () => { if (document.getElementById('extent').checked) refresh(true); });
  loadVocabulary().then(() => refresh(true));
})();
