// The CloudFront Functions environment every context gets before the function's code runs: console,
// require, the restrictions on dynamic code and the invocation driver. Everything else (encodings,
// crypto, querystring, Buffer, ...) is in library.js, and the cloudfront module in cloudfront.js;
// each is loaded into the context the first time the function touches one of its names, so a
// function that uses none of it does not pay for building it.
// Rust provides: __cf_v2 (bool), __cf_native_kvs() -> JSON string or null, __cf_native_log(line),
// __cf_native_hash(alg, keyByteString|null, dataByteString) -> hex, __cf_native_library(name) -> the
// factory of library.js or cloudfront.js. Everything here is hidden (non-enumerable) so it does not
// show up in the function's globals.
(function (g) {
  'use strict';
  var V2 = g.__cf_v2 === true;
  var nativeLog = g.__cf_native_log;
  var nativeHash = g.__cf_native_hash;
  var nativeLibrary = g.__cf_native_library;
  var nativeKvs = g.__cf_native_kvs;
  delete g.__cf_v2;
  delete g.__cf_native_log;
  delete g.__cf_native_hash;
  delete g.__cf_native_library;
  delete g.__cf_native_kvs;

  function hide(obj, name, value) {
    Object.defineProperty(obj, name, { value: value, writable: true, enumerable: false, configurable: true });
  }

  // ---- lazy names: an accessor that loads the library, then becomes a plain hidden property ----
  var lib = null;
  function library() {
    if (lib === null) lib = nativeLibrary('library')(V2, nativeHash);
    return lib;
  }
  var cfPart = null;
  function cloudfront() {
    if (cfPart === null) cfPart = nativeLibrary('cloudfront')(g, nativeKvs());
    return cfPart;
  }
  function lazy(obj, name, pick) {
    Object.defineProperty(obj, name, {
      get: function () { var v = pick(library()); hide(obj, name, v); return v; },
      set: function (v) { hide(obj, name, v); },
      enumerable: false,
      configurable: true
    });
  }
  function lazyAll(obj, names, part) {
    names.forEach(function (n) { lazy(obj, n, function (l) { return l[part][n]; }); });
  }

  // ---- console ----
  // Captured now: the function may replace JSON's methods, which must not change how its logs,
  // its event or its result are written (see the driver below).
  var jsonParse = JSON.parse;
  var jsonStringify = JSON.stringify;
  function fmt(v) {
    if (typeof v === 'string') return v;
    if (v === undefined) return 'undefined';
    if (typeof v === 'function') return '[Function: ' + (v.name || 'anonymous') + ']';
    if (v instanceof Error) return v.name + ': ' + v.message;
    if (typeof v === 'object' && v !== null) {
      try { return jsonStringify(v); } catch (e) { return String(v); }
    }
    return String(v);
  }
  function log() {
    var parts = [];
    for (var i = 0; i < arguments.length; i++) parts.push(fmt(arguments[i]));
    nativeLog(parts.join(' '));
  }
  var consoleObj = {};
  ['log', 'info', 'warn', 'error', 'debug'].forEach(function (m) { hide(consoleObj, m, log); });
  hide(g, 'console', consoleObj);

  var modules = {};
  var moduleNames = V2 ? ['crypto', 'querystring', 'buffer', 'cloudfront'] : ['crypto', 'querystring'];
  moduleNames.forEach(function (n) {
    Object.defineProperty(modules, n, {
      get: function () {
        var m = n === 'cloudfront' ? cloudfront().cf : library().modules[n];
        hide(modules, n, m);
        return m;
      },
      enumerable: true,
      configurable: true
    });
  });
  if (V2) {
    lazyAll(g, ['Buffer', 'TextEncoder', 'TextDecoder', 'btoa', 'atob'], 'G');
    lazy(g, '__cf_origin_calls', function () { return cloudfront().originCalls; });
  } else {
    lazyAll(String, ['bytesFrom'], 'S');
    lazyAll(String.prototype, ['fromBytes', 'toBytes', 'fromUTF8', 'toUTF8'], 'SP');
  }

  hide(g, 'require', function require(name) {
    var k = String(name);
    if (!Object.prototype.hasOwnProperty.call(modules, k)) throw new Error('Cannot find module "' + name + '"');
    return modules[k];
  });
  hide(g, '__cf_modules', modules);

  // ---- restricted features (AWS docs): no dynamic code evaluation ----
  hide(g, 'eval', function eval_() {
    throw new EvalError('eval() is not supported in CloudFront Functions');
  });
  var OrigFunction = Function;
  var NoFunction = function Function() {
    throw new EvalError('the Function constructor is not supported in CloudFront Functions');
  };
  NoFunction.prototype = OrigFunction.prototype;
  hide(OrigFunction.prototype, 'constructor', NoFunction);
  [async function () {}, function* () {}, async function* () {}].forEach(function (f) {
    hide(Object.getPrototypeOf(f), 'constructor', NoFunction);
  });
  hide(g, 'Function', NoFunction);

  // ---- the invocation driver, called from Rust with the event as JSON ----
  var promiseResolve = Promise.resolve.bind(Promise);
  var promiseThen = Promise.prototype.then;
  hide(g, '__cf_invoke', function (eventJson) {
    var st = { done: false, threw: false, error: undefined, json: undefined };
    var h = g.__cf_handler;
    if (typeof h !== 'function') {
      throw new ReferenceError('handler is not defined: the function must declare function handler(event)');
    }
    var settle = function (v) {
      try {
        st.json = v === undefined ? undefined : jsonStringify(v);
      } catch (e) {
        st.threw = true;
        st.error = e;
      }
      st.done = true;
    };
    var r = h(jsonParse(eventJson));
    if (r !== null && typeof r === 'object' && typeof r.then === 'function') {
      promiseThen.call(promiseResolve(r), settle, function (e) { st.threw = true; st.error = e; st.done = true; });
    } else {
      settle(r);
    }
    return st;
  });
})(globalThis);
