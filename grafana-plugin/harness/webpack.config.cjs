/**
 * Builds the browser harness (harness/host.tsx) into harness/dist: the host page's
 * script, bundling the packages Grafana shares with plugins. Not part of the plugin.
 */
const path = require('node:path');
const webpack = require('webpack');

module.exports = {
  mode: 'development',
  devtool: false,
  context: __dirname,
  entry: { host: './host.tsx' },
  output: { path: path.join(__dirname, 'dist'), filename: '[name].js', publicPath: '/harness/', clean: true },
  resolve: {
    extensions: ['.js', '.jsx', '.ts', '.tsx', '.mjs'],
    fallback: { fs: false, path: false, os: false, crypto: false, stream: false, util: false, buffer: false },
  },
  module: {
    rules: [
      {
        test: /\.tsx?$/,
        exclude: /node_modules/,
        use: {
          loader: 'swc-loader',
          options: { jsc: { target: 'es2020', parser: { syntax: 'typescript', tsx: true }, transform: { react: { runtime: 'classic' } } } },
        },
      },
      { test: /\.m?js$/, resolve: { fullySpecified: false } },
      { test: /\.css$/, use: ['style-loader', 'css-loader'] },
      { test: /\.(png|jpe?g|gif|svg|woff2?|ttf|eot)$/, type: 'asset/resource' },
    ],
  },
  plugins: [new webpack.DefinePlugin({ 'process.env.NODE_ENV': JSON.stringify('development') })],
  performance: { hints: false },
  cache: { type: 'filesystem', cacheDirectory: path.join(__dirname, '..', 'node_modules', '.cache', 'harness-webpack') },
};
