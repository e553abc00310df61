/** esbuild bundles imported CSS into the build's stylesheet. */
declare module '*.css';
