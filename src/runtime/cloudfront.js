// The 2.0 `cloudfront` module: the function's key value store and the origin helpers. Compiled once
// per process; a context runs it when the function first imports or requires `cloudfront`.
// The completion value is a factory: (g, kvsJson) -> { cf, originCalls }.
(function (g, kvsJson) {
  'use strict';
  function hide(obj, name, value) {
    Object.defineProperty(obj, name, { value: value, writable: true, enumerable: false, configurable: true });
  }
  // Key value store: one store per function (the service allows one association).
  var store = null;
  if (typeof kvsJson === 'string') {
    var data = JSON.parse(kvsJson);
    var keys = Object.keys(data);
    var kvsHandle = {};
    hide(kvsHandle, 'get', function get(key, options) {
      var format = options && options.format !== undefined ? options.format : 'string';
      return new Promise(function (resolve, reject) {
        var k = String(key);
        if (!Object.prototype.hasOwnProperty.call(data, k)) {
          reject(new Error('Key "' + k + '" not found in the key value store'));
          return;
        }
        var v = data[k];
        switch (format) {
          case 'string': resolve(v); break;
          case 'json':
            try { resolve(JSON.parse(v)); } catch (e) { reject(new SyntaxError('Value of key "' + k + '" is not valid JSON')); }
            break;
          case 'bytes': resolve(g.Buffer.from(v, 'utf8')); break;
          default: reject(new TypeError('Unknown format: "' + format + '" (expected string, json or bytes)'));
        }
      });
    });
    hide(kvsHandle, 'exists', function exists(key) {
      return Promise.resolve(Object.prototype.hasOwnProperty.call(data, String(key)));
    });
    hide(kvsHandle, 'meta', function meta() {
      var t = '2024-01-01T00:00:00.000Z';
      return Promise.resolve({ creationDateTime: t, lastUpdatedDateTime: t, keyCount: keys.length });
    });
    store = kvsHandle;
  }

  // Origin helpers: the Test API does not check origin changes (AWS docs), so the calls are only
  // validated and recorded, never reflected in the output.
  var originCalls = [];
  function needObject(name, v) {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new TypeError(name + ': argument must be an object');
  }
  var cf = {};
  hide(cf, 'kvs', function kvs(id) {
    if (store === null) throw new Error('There is no key value store associated with this function');
    return store;
  });
  hide(cf, 'updateRequestOrigin', function updateRequestOrigin(params) {
    needObject('updateRequestOrigin', params);
    originCalls.push({ method: 'updateRequestOrigin', params: params });
  });
  hide(cf, 'selectRequestOriginById', function selectRequestOriginById(id, params) {
    if (typeof id !== 'string' || id.length === 0) throw new TypeError('selectRequestOriginById: origin id must be a non-empty string');
    originCalls.push({ method: 'selectRequestOriginById', id: id, params: params });
  });
  hide(cf, 'createRequestOriginGroup', function createRequestOriginGroup(params) {
    needObject('createRequestOriginGroup', params);
    if (!Array.isArray(params.originIds) || params.originIds.length < 2) {
      throw new TypeError('createRequestOriginGroup: originIds must list at least two origin ids');
    }
    originCalls.push({ method: 'createRequestOriginGroup', params: params });
  });
  return { cf: cf, originCalls: originCalls };
})
